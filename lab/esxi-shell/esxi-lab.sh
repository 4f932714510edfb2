# Shared helpers of the lab's ESXi stand-ins (sourced by esxcli, hostd, ps).
# TEST STAND-IN, see lab/README.md.
DB=/var/db/esximg
RUN=/var/run
VLOG=/var/log/vmware/vmdk_ops.log

now() { date +%s; }
esx_build() { cat $DB/esx-build 2>/dev/null || echo 15160138; }
hostd_away_until() { cat $RUN/hostd.away-until 2>/dev/null || echo 0; }
hostd_up() { [ "$(now)" -ge "$(hostd_away_until)" ]; }
hostd_required() {
  if ! hostd_up; then
    echo "Connect to localhost failed: Connection failure."
    exit 1
  fi
}

vlog() { echo "$(date -u '+%m/%d/%y %H:%M:%S') $$ [MainThread] [INFO   ] $*" >> $VLOG; }

# /var/run/vmdkops.state, read from outside the chroot by the plugin stand-in:
#   vib=installed|absent  version=<vib version>  service=running|stopped  since=<epoch s>
# vmdk_ops answers (no errno=104) iff vib=installed, service=running and now >= since.
vmdkops_state() { # vib version service since
  tmp=$RUN/vmdkops.state.$$
  printf 'vib=%s\nversion=%s\nservice=%s\nsince=%s\n' "$1" "$2" "$3" "$4" > $tmp
  mv -f $tmp $RUN/vmdkops.state
}
vmdkops_get() { sed -n "s/^$1=//p" $RUN/vmdkops.state 2>/dev/null; }

vmdkops_installed() { # version
  vmdkops_state installed "$1" stopped 0
  vlog "=== TEST STAND-IN: esx-vmdkops-service $1 installed; restart hostd to load it (/etc/init.d/hostd restart) ==="
}
vmdkops_removed() {
  [ "$(vmdkops_get service)" = running ] && vlog "=== Service stopped (VIB removed) ==="
  vmdkops_state absent "" stopped 0
}
