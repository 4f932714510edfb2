package main

// The ESXi side of vDVS (esx_service/vmdk_ops.py), run inside the plugin:
// name parsing, option validation, the dockvols layout, the VMDK descriptor,
// the metadata sidecar and the get/list/create/remove/attach/detach commands.
// Texts of errors are those of vmdk_ops.py (Python 3 reprs included).

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/vmware/govmomi/vim25"
)

const (
	dockVolsDir       = "dockvols"
	defaultTenantName = "_DEFAULT"
	defaultTenantUUID = "11111111-1111-1111-1111-111111111111"
	maxVolNameLen     = 100
	maxDSNameLen      = 100
	maxDescrSize      = 5000
	sidecarKey        = "docker-volume-vsphere"
	kvAlign           = 4096
	kvStatus          = "status"
	kvCreated         = "created"
	kvCreatedBy       = "created-by"
	kvAttachedVMUUID  = "attachedVMUuid"
	kvAttachedVMName  = "attachedVMName"
	kvAttachedVMDev   = "attachedVMDevice"
	kvVolOpts         = "volOpts"
	statusAttached    = "attached"
	statusDetached    = "detached"
	optSize           = "size"
	optVsanPolicy     = "vsan-policy-name"
	optDiskFormat     = "diskformat"
	optAttachAs       = "attach-as"
	optAccess         = "access"
	optFstype         = "fstype"
	optCloneFrom      = "clone-from"
	defaultDiskSize   = "100mb"
	defaultVsanPolicy = "[VSAN default]"
	defaultDiskFormat = "thin"
	defaultAttachAs   = "independent_persistent"
	defaultAccess     = "read-write"
	defaultFstype     = "ext4"
	defaultCloneFrom  = "None"
	vmDSName          = "_VM_DS" // auth_data_const.VM_DS
)

var (
	validOpts     = []string{optSize, optVsanPolicy, optDiskFormat, optAttachAs, optAccess, optFstype, optCloneFrom}
	optDefaults   = []string{defaultDiskSize, defaultVsanPolicy, defaultDiskFormat, defaultAttachAs, defaultAccess, defaultFstype, defaultCloneFrom}
	diskFormats   = []string{"zeroedthick", "thin", "eagerzeroedthick"}
	attachAsTypes = []string{"independent_persistent", "persistent"}
	accessTypes   = []string{"read-write", "read-only"}
	// vmdk_utils.SNAP_NAME_REGEXP `^.*-[0-9]{6}$` as Python's re.match reads it: '.' stops at a
	// newline (as Go's), '$' also matches before a final newline (Go's only at the end)
	snapNameRe = regexp.MustCompile(`^.*-[0-9]{6}\n?$`)
	snapVmdkRe = regexp.MustCompile(`^.*-[0-9]{6}\.vmdk$`)
	specialRe  = regexp.MustCompile(`\A.*-(delta|ctk|digest|flat)\.vmdk$`)
)

// pyStr is Python's str() of a KV value as vDVS formats it: None for a missing or null one.
func pyStr(v interface{}) string {
	if v == nil {
		return "None"
	}
	return fmt.Sprint(v)
}

// pyRepr renders a str the way Python 3 repr() does.
func pyRepr(s string) string {
	q := "'"
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = `"`
	}
	var b strings.Builder
	b.WriteString(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case string(r) == q:
			b.WriteString(`\` + q)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString(q)
	return b.String()
}

func pyList(items []string) string {
	parts := make([]string, len(items))
	for i, s := range items {
		parts[i] = pyRepr(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// validationError mirrors vmdk_ops.ValidationError: str(ex) is repr(msg).
type validationError struct{ msg string }

func (e *validationError) Error() string { return e.msg }

// parseVolName is vmdk_ops.parse_vol_name(), checks in its order; lengths are Python's len()
// (code points). With the host's datastores, the datastore part is matched ignoring case and
// comes back in the host's spelling; two datastores equal but for case are an error.
// vmdk_ops.ILLEGAL_CHARACTERS is a Python set: for a name holding both, which one vDVS names
// depends on the hash seed; we name '/' (as our validator does).
func parseVolName(full string, datastores []string) (vol, ds string, err error) {
	if at := strings.LastIndex(full, "@"); at >= 0 {
		vol, ds = full[:at], full[at+1:]
	} else {
		vol = full
	}
	if snapNameRe.MatchString(vol) {
		return "", "", &validationError{"Volume names ending with '-NNNNNN' (where N is a digit) are not supported"}
	}
	if utf8.RuneCountInString(vol) > maxVolNameLen {
		return "", "", &validationError{fmt.Sprintf("Volume name is too long (max len is %d)", maxVolNameLen)}
	}
	for _, c := range []string{"/", `\`} {
		if strings.Contains(vol, c) {
			return "", "", &validationError{"Volume name contains illegal characters: " + c}
		}
	}
	if ds != "" {
		if utf8.RuneCountInString(ds) > maxDSNameLen {
			return "", "", &validationError{fmt.Sprintf("Datastore name is too long (max len is %d)", maxDSNameLen)}
		}
		var matching []string
		for _, d := range datastores {
			if strings.ToLower(d) == strings.ToLower(ds) {
				matching = append(matching, d)
			}
		}
		if len(matching) > 1 {
			return "", "", &validationError{"Found multiple datastores with same name (ignoring case difference): " + pyList(matching)}
		}
		if len(matching) == 1 {
			ds = matching[0]
		}
	}
	return vol, ds, nil
}

func validateOpts(opts map[string]string, ds string) error {
	var invalid []string
	for k := range opts {
		ok := false
		for _, v := range validOpts {
			if k == v {
				ok = true
			}
		}
		if !ok {
			invalid = append(invalid, k)
		}
	}
	if len(invalid) > 0 {
		sort.Strings(invalid)
		pairs := make([]string, len(validOpts))
		for i := range validOpts {
			pairs[i] = "(" + pyRepr(validOpts[i]) + ", " + pyRepr(optDefaults[i]) + ")"
		}
		return &validationError{fmt.Sprintf("Invalid options: %s \n", pyList(invalid)) +
			"Valid options and defaults: [" + strings.Join(pairs, ", ") + "]"}
	}
	_, clone := opts[optCloneFrom]
	if size, ok := opts[optSize]; ok {
		if clone {
			return &validationError{"Cannot define the size for a clone"}
		}
		if _, err := sizeToKB(size); err != nil {
			return err
		}
	}
	if _, ok := opts[optVsanPolicy]; ok {
		// The lab has no vSAN datastore.
		return &validationError{"Cannot use a VSAN policy on a non-VSAN datastore"}
	}
	if f, ok := opts[optDiskFormat]; ok && !contains(diskFormats, f) {
		return &validationError{fmt.Sprintf("Disk Allocation Format '%s' is not supported. Valid options are: %s.", f, pyList(diskFormats))}
	}
	if a, ok := opts[optAttachAs]; ok && !contains(attachAsTypes, a) {
		return &validationError{fmt.Sprintf("Attach type '%s' is not supported. Valid options are: %s", a, pyList(attachAsTypes))}
	}
	if a, ok := opts[optAccess]; ok && !contains(accessTypes, a) {
		return &validationError{fmt.Sprintf("Access type '%s' is not supported. Valid options are: %s", a, pyList(accessTypes))}
	}
	if _, ok := opts[optFstype]; ok && clone {
		return &validationError{"Cannot define the filesystem type for a clone"}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func sizeToKB(size string) (int64, error) {
	l := strings.ToLower(size)
	// the 0.18+ text of validate_size (before 0.18 it read "aninteger")
	bad := &validationError{"Invalid format for size. \nValid sizes must be of form X[mMgGtT]b where X is an " +
		"integer. Default = 100mb"}
	if len(size) < 2 || !(strings.HasSuffix(l, "mb") || strings.HasSuffix(l, "gb") || strings.HasSuffix(l, "tb")) || !isDigits(size[:len(size)-2]) {
		return 0, bad
	}
	n, err := strconv.ParseInt(size[:len(size)-2], 10, 64)
	if err != nil {
		return 0, bad
	}
	switch l[len(l)-2:] {
	case "mb":
		return n * 1024, nil
	case "gb":
		return n * 1024 * 1024, nil
	}
	return n * 1024 * 1024 * 1024, nil
}

// convertSize is kvESX.convert().
func convertSize(n int64) string {
	const KB, MB, GB = 1024, 1024 * 1024, 1024 * 1024 * 1024
	switch {
	case n < KB:
		return fmt.Sprint(n)
	case n < MB:
		return fmt.Sprintf("%dKB", n/KB)
	case n < GB:
		return fmt.Sprintf("%dMB", n/MB)
	}
	return fmt.Sprintf("%dGB", n/GB)
}

// ---- dockvols layout ----

type volPath struct {
	vol, datastore string
}

func (v *volPath) dsRoot() string   { return filepath.Join(cfg.Lab.VolumesRoot, v.datastore) }
func (v *volPath) dir() string      { return filepath.Join(v.dsRoot(), dockVolsDir, defaultTenantName) }
func (v *volPath) realDir() string  { return filepath.Join(v.dsRoot(), dockVolsDir, defaultTenantUUID) }
func (v *volPath) vmdkPath() string { return filepath.Join(v.dir(), v.vol+".vmdk") }
func (v *volPath) realVmdk() string { return filepath.Join(v.realDir(), v.vol+".vmdk") }
func (v *volPath) flatPath() string { return filepath.Join(v.realDir(), v.vol+"-flat.vmdk") }
func (v *volPath) fullName() string { return v.vol + "@" + v.datastore }

// ensureVolPath is get_vol_path(): dockvols/<tenant-uuid> plus the _DEFAULT symlink.
func ensureVolPath(ds string) error {
	root := filepath.Join(cfg.Lab.VolumesRoot, ds, dockVolsDir)
	if err := os.MkdirAll(filepath.Join(root, defaultTenantUUID), 0755); err != nil {
		return fmt.Errorf("Failed to initialize volume path %s - %v", filepath.Join(root, defaultTenantUUID), err)
	}
	link := filepath.Join(root, defaultTenantName)
	if _, err := os.Lstat(link); os.IsNotExist(err) {
		// relative target, so the link works from the host and inside the plugin
		if err := os.Symlink(defaultTenantUUID, link); err != nil {
			return err
		}
		infof("Symlink %s is created to point to path %s", link, filepath.Join(root, defaultTenantUUID))
	}
	return nil
}

func datastoreDirs() []string {
	entries, _ := os.ReadDir(cfg.Lab.VolumesRoot)
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// ---- descriptor and sidecar ----

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func ddbUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	parts := make([]string, 16)
	for i := range b {
		parts[i] = fmt.Sprintf("%02x", b[i])
	}
	return strings.Join(parts[:8], " ") + "-" + strings.Join(parts[8:], " ")
}

func writeDescriptor(path, flatName string, sectors int64, diskFormat, sidecarFile string) error {
	cyl := sectors / (255 * 63)
	if cyl > 65535 {
		cyl = 65535
	}
	var b strings.Builder
	b.WriteString("# Disk DescriptorFile\nversion=1\nencoding=\"UTF-8\"\n")
	fmt.Fprintf(&b, "CID=%s\nparentCID=ffffffff\ncreateType=\"vmfs\"\n\n", randHex(4))
	fmt.Fprintf(&b, "# Extent description\nRW %d VMFS \"%s\"\n\n", sectors, flatName)
	b.WriteString("# The Disk Data Base\n#DDB\n\n")
	fmt.Fprintf(&b, "ddb.adapterType = \"busLogic\"\n")
	fmt.Fprintf(&b, "ddb.deletable = \"true\"\n")
	fmt.Fprintf(&b, "ddb.geometry.cylinders = \"%d\"\nddb.geometry.heads = \"255\"\nddb.geometry.sectors = \"63\"\n", cyl)
	fmt.Fprintf(&b, "ddb.longContentID = \"%s\"\n", randHex(16))
	if sidecarFile != "" {
		fmt.Fprintf(&b, "ddb.sidecars = \"%s,%s\"\n", sidecarKey, sidecarFile)
	}
	if diskFormat == "thin" {
		b.WriteString("ddb.thinProvisioned = \"1\"\n")
	}
	fmt.Fprintf(&b, "ddb.uuid = \"%s\"\n", ddbUUID())
	b.WriteString("ddb.virtualHWVersion = \"13\"\n")
	return os.WriteFile(path, []byte(b.String()), 0644)
}

type descriptor struct {
	sectors  int64
	flat     string
	sidecars map[string]string
}

var extentRe = regexp.MustCompile(`(?m)^RW\s+(\d+)\s+\S+\s+"([^"]+)"`)
var sidecarRe = regexp.MustCompile(`(?m)^ddb\.sidecars\s*=\s*"([^"]*)"`)

func readDescriptor(path string) (*descriptor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	d := &descriptor{sidecars: map[string]string{}}
	if m := extentRe.FindSubmatch(b); m != nil {
		d.sectors, _ = strconv.ParseInt(string(m[1]), 10, 64)
		d.flat = string(m[2])
	}
	if m := sidecarRe.FindSubmatch(b); m != nil {
		f := strings.Split(string(m[1]), ",")
		for i := 0; i+1 < len(f); i += 2 {
			d.sidecars[f[i]] = f[i+1]
		}
	}
	return d, nil
}

// sidecarPath finds the docker-volume-vsphere sidecar of a descriptor.
func sidecarPath(vmdk string) string {
	dir := filepath.Dir(vmdk)
	if d, err := readDescriptor(vmdk); err == nil {
		if f, ok := d.sidecars[sidecarKey]; ok {
			return filepath.Join(dir, f)
		}
	}
	base := strings.TrimSuffix(filepath.Base(vmdk), ".vmdk")
	matches, _ := filepath.Glob(filepath.Join(dir, base+"-*.vmfd"))
	for _, m := range matches {
		rest := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), base+"-"), ".vmfd")
		if _, err := hex.DecodeString(rest); err == nil && len(rest) == 16 {
			return m
		}
	}
	return ""
}

func kvLoad(vmdk string) map[string]interface{} {
	p := sidecarPath(vmdk)
	if p == "" {
		return nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	var m map[string]interface{}
	if err := json.Unmarshal([]byte(strings.TrimSpace(string(b))), &m); err != nil {
		warnf("Failed to decode meta-data for %s: %v", vmdk, err)
		return nil
	}
	return m
}

// kvSave writes the sidecar as kvESX.save() does: JSON padded to 4 KiB.
func kvSave(vmdk string, meta map[string]interface{}) error {
	p := sidecarPath(vmdk)
	if p == "" {
		return fmt.Errorf("no sidecar for %s", vmdk)
	}
	b, _ := json.Marshal(meta)
	s := string(b)
	aligned := ((len(s)+kvAlign-1)/kvAlign)*kvAlign - 1
	if aligned < len(s) {
		aligned += kvAlign
	}
	s = s + strings.Repeat(" ", aligned-len(s)) + "\n"
	return os.WriteFile(p, []byte(s), 0644)
}

// volSizeInfo is kvESX.get_info(): virtual size and allocated bytes.
func volSizeInfo(vmdk string) (int64, int64) {
	d, err := readDescriptor(vmdk)
	if err != nil {
		return 0, 0
	}
	var alloc int64
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(filepath.Dir(vmdk), d.flat), &st); err == nil {
		alloc = st.Blocks * 512
	}
	return d.sectors * 512, alloc
}

func asctime(t time.Time) string { return t.UTC().Format("Mon Jan _2 15:04:05 2006") }

// ---- ESX requests ----

// esxReachable emulates the vSocket connection to the ESXi service: with no
// VIB installed on the (simulated) ESXi host there is nobody listening and
// the connection is reset; the real client retries 5 times, 1 s apart.
func esxReachable(cmd string) error {
	for i := 0; ; i++ {
		vib, _ := esxState()
		if vib {
			return nil
		}
		msg := fmt.Sprintf("Run '%s' failed: %v (errno=%d) - %s", cmd, syscall.ECONNRESET, int(syscall.ECONNRESET), "")
		if i < cfg.Lab.EsxRetries {
			warnf(msg + " Retrying...")
			time.Sleep(time.Duration(cfg.Lab.EsxRetrySleepMs) * time.Millisecond)
			continue
		}
		msg += " Cannot communicate with ESX, please refer to the FAQ https://github.com/vmware/vsphere-storage-for-docker/wiki#faq"
		warnf(msg)
		return errors.New(msg)
	}
}

// esxState reads the ESXi-shell stand-in's state (lab/README.md, "State files"):
// vmdkops.state says whether the VIB is installed and its service running
// (else nobody listens on the vSocket: errno=104), and since when; before
// "since" or hostd.away-until, hostd is restarting: vmdk_ops answers that the
// host agent is unavailable (vDVS PR #1000).
func esxState() (listening bool, hostd bool) {
	l := cfg.Lab
	if l.EsxStateDir == "" || l.EsxStateFile == "" {
		return true, true
	}
	kv := readKV(filepath.Join(l.EsxStateDir, l.EsxStateFile))
	listening = kv["vib"] == "installed" && kv["service"] == "running"
	now := time.Now().Unix()
	hostd = true
	if since, err := strconv.ParseInt(kv["since"], 10, 64); err == nil && now < since {
		hostd = false
	}
	if l.EsxHostdAwayFile != "" {
		if b, err := os.ReadFile(filepath.Join(l.EsxStateDir, l.EsxHostdAwayFile)); err == nil {
			if until, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && now < until {
				hostd = false
			}
		}
	}
	return listening, hostd
}

func readKV(p string) map[string]string {
	out := map[string]string{}
	b, err := os.ReadFile(p)
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		if i := strings.Index(line, "="); i > 0 {
			out[strings.TrimSpace(line[:i])] = strings.TrimSpace(line[i+1:])
		}
	}
	return out
}

// esxRunMu serialises the ESX commands of the plugin, Get and List included,
// retries and all, as vDVS does: EsxVmdkCmd.Run holds one mutex per plugin
// ("Mtx ... For serialization of Run comand/response",
// client_plugin/drivers/vmdk/vmdkops/esx_vmdkcmd.go). Parallel inspects of a
// client therefore overlap only the Docker-side work, never the ESX commands.
var esxRunMu sync.Mutex

// esxRequest is one vSocket round trip: the ESX service answers either with
// a result or with {"Error": ...}.
func esxRequest(cmd, fullName string, opts map[string]string) (interface{}, error) {
	esxRunMu.Lock()
	defer esxRunMu.Unlock()
	if err := esxReachable(cmd); err != nil {
		return nil, err
	}
	if pv := os.Getenv("VDVS_TEST_PROTOCOL_VERSION"); pv != "" && pv != "2" {
		// vmdk_ops.py execRequestThread (0.20+), a triple-quoted string: its line breaks and indents are in the text
		n, _ := strconv.Atoi(pv)
		const indent = "\n                                    "
		return nil, fmt.Errorf("There is a mismatch between VDVS client (Docker plugin) protocol version"+indent+
			"(%d) and server (ESXi) protocol version (2) which indicates different"+indent+
			"versions of the product are installed on Guest and ESXi sides,"+indent+
			"please make sure VDVS plugin and driver are from the same release version."+indent, n)
	}
	if _, hostd := esxState(); !hostd {
		warnf(errHostd.Error())
		return nil, errHostd
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := executeRequest(ctx, cmd, fullName, opts)
	if err != nil {
		infof("executeRequest '%s' completed with ret={'Error': %s}", cmd, pyRepr(err.Error()))
	} else {
		debugf("executeRequest '%s' completed", cmd)
	}
	return res, err
}

func executeRequest(ctx context.Context, cmd, fullName string, opts map[string]string) (interface{}, error) {
	c, vm, err := dockerVM(ctx)
	if err != nil {
		return nil, err
	}
	vmDS := vm.dsName
	if vmDS == "" {
		vmDS = cfg.Lab.DefaultDatastore
	}
	if cmd == "list" {
		return listVMDK(), nil
	}
	known := knownDatastores(ctx, c)
	vol, ds, err := parseVolName(fullName, known)
	if err != nil {
		return nil, errors.New(pyRepr(err.Error()))
	}
	if ds != "" {
		if !contains(known, ds) || !dirExists(filepath.Join(cfg.Lab.VolumesRoot, ds)) {
			// no Config DB: the _DEFAULT tenant's default datastore is _VM_DS
			// (auth_api.get_default_datastore_url, vmdk_utils.get_datastore_name)
			return nil, fmt.Errorf("Invalid datastore '%s'.\nKnown datastores: %s.\nDefault datastore: %s",
				ds, strings.Join(known, ", "), vmDSName)
		}
	} else {
		ds = vmDS
	}
	if err := ensureVolPath(ds); err != nil {
		return nil, err
	}
	v := &volPath{vol: vol, datastore: ds}
	switch cmd {
	case "get":
		return getVMDK(ctx, c, v)
	case "create":
		return nil, createVMDK(ctx, c, v, vm, opts, known)
	case "remove":
		return nil, removeVMDK(ctx, v, vm)
	case "attach":
		return attachVMDK(ctx, c, v, vm)
	case "detach":
		return nil, detachVMDK(ctx, v, vm)
	}
	return nil, errors.New("Unknown command:" + cmd)
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// listVMDK is vmdk_ops.listVMDK(tenant) → vmdk_utils.get_volumes(tenant): only the folder of the
// calling VM's vmgroup (without a Config DB every VM is in _DEFAULT: dockvols/<its uuid>) on each
// datastore; dockvols itself and other vmgroups' folders are not listed.
func listVMDK() []map[string]interface{} {
	out := []map[string]interface{}{}
	for _, ds := range datastoreDirs() {
		dir := (&volPath{datastore: ds}).realDir()
		files, _ := os.ReadDir(dir)
		for _, f := range files {
			if isDescriptor(dir, f.Name()) && !snapVmdkRe.MatchString(f.Name()) {
				out = append(out, map[string]interface{}{"Name": strings.Replace(f.Name(), ".vmdk", "", 1) + "@" + ds})
			}
		}
	}
	return out
}

func isDescriptor(dir, name string) bool {
	l := strings.ToLower(name)
	if !strings.HasSuffix(l, ".vmdk") || specialRe.MatchString(l) {
		return false
	}
	st, err := os.Stat(filepath.Join(dir, name))
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	return st.Size() <= maxDescrSize
}

// volInfo is vmdk_ops.vol_info(): the Status of docker volume inspect.
func volInfo(ctx context.Context, c *vim25.Client, meta map[string]interface{}, v *volPath) map[string]interface{} {
	if meta == nil {
		meta = map[string]interface{}{}
	}
	size, alloc := volSizeInfo(v.vmdkPath())
	info := map[string]interface{}{
		"created by VM": meta[kvCreatedBy],
		kvCreated:       meta[kvCreated],
		kvStatus:        meta[kvStatus],
		"capacity":      map[string]interface{}{"size": convertSize(size), "allocated": convertSize(alloc)},
		"datastore":     v.datastore,
	}
	if u, ok := meta[kvAttachedVMUUID]; ok {
		// vol_info: the VM's name found by its UUID (vm_uuid2name), else the name in the KV, else the UUID
		uuid, _ := u.(string)
		if name := vmNameByUUID(ctx, c, uuid); name != "" {
			info["attached to VM"] = name
		} else if n, ok := meta[kvAttachedVMName]; ok {
			info["attached to VM"] = n
		} else {
			info["attached to VM"] = u
		}
	}
	if d, ok := meta[kvAttachedVMDev]; ok {
		info[kvAttachedVMDev] = d
	}
	if o, ok := meta[kvVolOpts].(map[string]interface{}); ok {
		if f, ok := o[optFstype]; ok {
			info[optFstype] = f
		}
		if p, ok := o[optVsanPolicy]; ok {
			info[optVsanPolicy] = p
		}
		pick := func(k, def string) {
			if val, ok := o[k]; ok {
				info[k] = val
			} else {
				info[k] = def
			}
		}
		pick(optDiskFormat, defaultDiskFormat)
		pick(optAttachAs, defaultAttachAs)
		pick(optAccess, defaultAccess)
		pick(optCloneFrom, defaultCloneFrom)
	}
	return info
}

func getVMDK(ctx context.Context, c *vim25.Client, v *volPath) (interface{}, error) {
	if !fileExists(v.vmdkPath()) {
		return nil, fmt.Errorf("Volume %s not found (file: %s)", v.vol, v.vmdkPath())
	}
	meta := kvLoad(v.vmdkPath())
	if meta == nil {
		// vmdk_ops.getVMDK: vol_info() fails without metadata, the error is logged, None returned
		errorf("Failed to get disk details for %s (no %s sidecar)", v.vmdkPath(), sidecarKey)
		return nil, nil
	}
	return volInfo(ctx, c, meta, v), nil
}

func createVMDK(ctx context.Context, c *vim25.Client, v *volPath, vm *vmInfo, opts map[string]string, known []string) error {
	infof("*** createVMDK: %s opts = %v vm_name=%s vm_uuid=%s", v.vmdkPath(), opts, vm.name, vm.uuid)
	if fileExists(v.vmdkPath()) {
		warnf("File %s already exists", v.vmdkPath())
		return nil
	}
	if err := validateOpts(opts, v.datastore); err != nil {
		return err
	}
	if _, ok := opts[optCloneFrom]; ok {
		return cloneVMDK(ctx, c, v, vm, opts, known)
	}
	format := defaultDiskFormat
	if f, ok := opts[optDiskFormat]; ok {
		format = f
	} else {
		opts[optDiskFormat] = defaultDiskFormat
	}
	sizeStr := defaultDiskSize
	if s, ok := opts[optSize]; ok {
		sizeStr = s
	}
	kb, _ := sizeToKB(sizeStr)
	if kb == 0 {
		// convert.convert_to_KB returns None for a zero size, and pyVmomi refuses None for the
		// required capacityKb (VmomiSupport.CheckField raises TypeError) outside createVMDK's try:
		// execRequestThread answers repr() of the exception, as ESXi's Python 3.5 prints it
		return errors.New(`Server returned an error: TypeError('Required field "capacityKb" not provided (not @optional)',)`)
	}
	if err := makeDisk(v, kb*1024, format); err != nil {
		cleanVMDK(v)
		return fmt.Errorf("Failed to create volume: %s", err)
	}
	meta := map[string]interface{}{
		kvStatus:    statusDetached,
		kvVolOpts:   optsToMeta(opts),
		kvCreated:   asctime(time.Now()),
		kvCreatedBy: vm.name,
	}
	if err := kvSave(v.realVmdk(), meta); err != nil {
		cleanVMDK(v)
		return fmt.Errorf("Failed to create metadata kv store for %s", v.vmdkPath())
	}
	return nil
}

func optsToMeta(opts map[string]string) map[string]interface{} {
	m := map[string]interface{}{}
	for k, v := range opts {
		m[k] = v
	}
	return m
}

// makeDisk writes <vol>.vmdk (descriptor), <vol>-flat.vmdk (sparse for thin,
// allocated for the thick formats) and an empty sidecar.
func makeDisk(v *volPath, bytes int64, format string) error {
	flat := v.flatPath()
	f, err := os.OpenFile(flat, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(bytes); err != nil {
		return err
	}
	if format != "thin" {
		if err := syscall.Fallocate(int(f.Fd()), 0, 0, bytes); err != nil {
			warnf("fallocate %s: %v (left sparse)", flat, err)
		}
	}
	sidecar := fmt.Sprintf("%s-%s.vmfd", v.vol, randHex(8))
	if err := os.WriteFile(filepath.Join(v.realDir(), sidecar), nil, 0600); err != nil {
		return err
	}
	return writeDescriptor(v.realVmdk(), filepath.Base(flat), bytes/512, format, sidecar)
}

func cleanVMDK(v *volPath) {
	sc := sidecarPath(v.realVmdk())
	if d, err := readDescriptor(v.realVmdk()); err == nil && d.flat != "" {
		os.Remove(filepath.Join(v.realDir(), d.flat))
	}
	os.Remove(v.flatPath())
	if sc != "" {
		os.Remove(sc)
	}
	os.Remove(v.realVmdk())
}

func cloneVMDK(ctx context.Context, c *vim25.Client, v *volPath, vm *vmInfo, opts map[string]string, known []string) error {
	infof("*** cloneVMDK: %s opts = %v", v.vmdkPath(), opts)
	srcVol, srcDS, err := parseVolName(opts[optCloneFrom], known)
	if err != nil {
		return errors.New(pyRepr(err.Error()))
	}
	if srcDS == "" {
		srcDS = v.datastore
	} else if !contains(known, srcDS) || !dirExists(filepath.Join(cfg.Lab.VolumesRoot, srcDS)) {
		// vmdk_ops.cloneVMDK names the URL of the datastore the clone goes on (datastore_url)
		return fmt.Errorf("Invalid datastore '%s'.\nKnown datastores: %s.\nDefault datastore_url: %s",
			srcDS, strings.Join(known, ", "), datastoreURL(ctx, c, v.datastore))
	}
	src := &volPath{vol: srcVol, datastore: srcDS}
	if !fileExists(src.vmdkPath()) {
		return fmt.Errorf("Could not find volume for cloning %s", opts[optCloneFrom])
	}
	srcMeta := kvLoad(src.vmdkPath())
	if srcMeta != nil && srcMeta[kvStatus] == statusAttached {
		// vmdk_ops.cloneVMDK only logs it (log_attached_volume) and copies the disk
		logAttachedVolume(ctx, c, src, srcMeta)
	}
	format := defaultDiskFormat
	if f, ok := opts[optDiskFormat]; ok {
		format = f
	}
	opts[optDiskFormat] = format
	d, err := readDescriptor(src.vmdkPath())
	if err != nil {
		return fmt.Errorf("Failed to clone volume: %s", err)
	}
	if err := makeDisk(v, d.sectors*512, format); err != nil {
		cleanVMDK(v)
		return fmt.Errorf("Failed to clone volume: %s", err)
	}
	if err := copySparse(filepath.Join(filepath.Dir(src.vmdkPath()), d.flat), v.flatPath()); err != nil {
		cleanVMDK(v)
		return fmt.Errorf("Failed to clone volume: %s", err)
	}
	meta := map[string]interface{}{}
	for k, val := range srcMeta {
		meta[k] = val
	}
	vo := map[string]interface{}{}
	if o, ok := srcMeta[kvVolOpts].(map[string]interface{}); ok {
		for k, val := range o {
			vo[k] = val
		}
	}
	meta[kvStatus] = statusDetached
	delete(meta, kvAttachedVMUUID)
	delete(meta, kvAttachedVMName)
	delete(meta, kvAttachedVMDev)
	meta[kvCreatedBy] = vm.name
	meta[kvCreated] = asctime(time.Now())
	vo[optCloneFrom] = srcVol
	vo[optDiskFormat] = format
	if a, ok := opts[optAccess]; ok {
		vo[optAccess] = a
	}
	if a, ok := opts[optAttachAs]; ok {
		vo[optAttachAs] = a
	}
	meta[kvVolOpts] = vo
	if err := kvSave(v.realVmdk(), meta); err != nil {
		cleanVMDK(v)
		return fmt.Errorf("Failed to create metadata kv store for %s", v.vmdkPath())
	}
	return nil
}

// copySparse copies a flat file keeping holes (SEEK_DATA/SEEK_HOLE).
func copySparse(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY, 0600)
	if err != nil {
		return err
	}
	defer out.Close()
	st, _ := in.Stat()
	size := st.Size()
	const seekData, seekHole = 3, 4
	var off int64
	buf := make([]byte, 1<<20)
	for off < size {
		data, err := in.Seek(off, seekData)
		if err != nil {
			break // no more data
		}
		hole, err := in.Seek(data, seekHole)
		if err != nil {
			hole = size
		}
		if _, err := in.Seek(data, io.SeekStart); err != nil {
			return err
		}
		for p := data; p < hole; {
			n := int64(len(buf))
			if hole-p < n {
				n = hole - p
			}
			r, err := in.ReadAt(buf[:n], p)
			if r > 0 {
				if _, werr := out.WriteAt(buf[:r], p); werr != nil {
					return werr
				}
			}
			if err != nil && err != io.EOF {
				return err
			}
			if r == 0 {
				break
			}
			p += int64(r)
		}
		off = hole
	}
	return out.Truncate(size)
}

func removeVMDK(ctx context.Context, v *volPath, vm *vmInfo) error {
	infof("*** removeVMDK: %s", v.vmdkPath())
	meta := kvLoad(v.vmdkPath())
	if meta != nil && meta[kvStatus] == statusAttached {
		// vmdk_ops.removeVMDK refuses whenever the KV says attached, whichever VM and its power state
		name := pyStr(meta[kvAttachedVMName])
		uuid := pyStr(meta[kvAttachedVMUUID])
		infof("*** removeVMDK: %s is in use, volume = %s VM = %s VM-uuid = %s", v.vmdkPath(), v.vol, name, uuid)
		return fmt.Errorf("Failed to remove volume %s, in use by VM = %s.", v.vol, name)
	}
	if !fileExists(v.vmdkPath()) {
		warnf("*** removeVMDK: File not found error: File %s was not found", v.vmdkPath())
		return nil
	}
	cleanVMDK(v)
	return nil
}

func attachVMDK(ctx context.Context, c *vim25.Client, v *volPath, vm *vmInfo) (interface{}, error) {
	infof("*** attachVMDK: %s to %s VM uuid = %s", v.vmdkPath(), vm.name, vm.uuid)
	if !fileExists(v.vmdkPath()) {
		return nil, fmt.Errorf("File [%s] %s/%s/%s.vmdk was not found", v.datastore, dockVolsDir, defaultTenantName, v.vol)
	}
	meta := kvLoad(v.vmdkPath())
	if meta == nil {
		meta = map[string]interface{}{}
	}
	attached := meta[kvStatus] == statusAttached
	if attached {
		// disk_attach only logs it and tries the reconfigure
		logAttachedVolume(ctx, c, v, meta)
	}
	size, _ := volSizeInfo(v.vmdkPath())
	dev, err := diskAttach(ctx, v, vm, meta, size/1024)
	if err != nil {
		if attached {
			// disk_attach: the fault, then what the KV says ("(Current VM)" when it names this VM's BIOS UUID)
			kvUUID := pyStr(meta[kvAttachedVMUUID])
			cur := vmNameByUUID(ctx, c, kvUUID)
			if cur == "" {
				cur = pyStr(meta[kvAttachedVMName])
			}
			msg := fmt.Sprintf("%s disk %s already attached to VM=%s", err, v.vmdkPath(), cur)
			if kvUUID == vm.uuid {
				msg += "(Current VM)"
			}
			return nil, errors.New(msg)
		}
		return nil, err
	}
	meta[kvStatus] = statusAttached
	// setStatusAttached stores the VC UUID (config.instanceUuid)
	meta[kvAttachedVMUUID] = vm.instanceUUID
	meta[kvAttachedVMName] = vm.name
	meta[kvAttachedVMDev] = dev
	if err := kvSave(v.vmdkPath(), meta); err != nil {
		warnf("Attach: Failed to save Disk metadata for %s", v.vmdkPath())
	}
	return dev, nil
}

func detachVMDK(ctx context.Context, v *volPath, vm *vmInfo) error {
	infof("*** detachVMDK: %s from %s VM uuid = %s", v.vmdkPath(), vm.name, vm.uuid)
	if err := diskDetach(ctx, v, vm); err != nil {
		return err
	}
	meta := kvLoad(v.vmdkPath())
	if meta == nil {
		return nil
	}
	meta[kvStatus] = statusDetached
	delete(meta, kvAttachedVMUUID)
	delete(meta, kvAttachedVMName)
	delete(meta, kvAttachedVMDev)
	if err := kvSave(v.vmdkPath(), meta); err != nil {
		warnf("Detach: Failed to save Disk metadata for %s", v.vmdkPath())
	}
	return nil
}
