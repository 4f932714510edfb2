package main

// The ESXi admin CLI of vDVS (esx_service/cli/vmdkops_admin.py), run in the lab's ESXi shell as
// /usr/lib/vmware/vmdkops/bin/vmdkops_admin.py (the VIB's payload: a wrapper that runs this binary
// with "admin"). It reads the state the plugin half keeps: the dockvols folders of every datastore
// under /vmfs/volumes, the descriptors and the sidecars. Output as vDVS prints it: cli_table.create
// (esx_service/utils/cli_table.py) for plain text, cli_xml.create (esx_service/utils/cli_xml.py) for
// --output-format xml.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"unsafe"

	"github.com/vmware/govmomi/vim25"
)

const (
	adminConfigPath = "/etc/vmware/vdvs-lab-admin.json"
	notAvailable    = "N/A" // vmdkops_admin.NOT_AVAILABLE
	orphanTenant    = "N/A" // generate_ls_rows: a folder no vmgroup owns
	cliErrArgs      = 3     // CLI_ERR_ARGS_PARSE
	cliErrOperation = 2     // CLI_ERR_OPERATION_FAILURE
)

// lsHeaders is all_ls_headers(); lsChoices the "-c" choices in the same order (commands()).
var (
	lsHeaders = []string{"Volume", "Datastore", "VMGroup", "Capacity", "Used", "Filesystem", "Policy",
		"Disk Format", "Attached-to", "Access", "Attach-as", "Created By", "Created Date"}
	lsChoices = []string{"volume", "datastore", "vmgroup", "capacity", "used", "fstype", "policy",
		"disk-format", "attached-to", "access", "attach-as", "created-by", "created"}
)

type adminArgs struct {
	outputFormat string
	words        []string
	flags        map[string]string
}

// parseAdminArgs splits argv into the command words and the --flag values (argparse's two spellings).
func parseAdminArgs(argv []string) adminArgs {
	a := adminArgs{flags: map[string]string{}}
	for i := 0; i < len(argv); i++ {
		arg := argv[i]
		if !strings.HasPrefix(arg, "-") {
			a.words = append(a.words, arg)
			continue
		}
		name, value, has := strings.Cut(arg, "=")
		if !has && i+1 < len(argv) && !strings.HasPrefix(argv[i+1], "-") {
			value, has = argv[i+1], true
			i++
		}
		if !has {
			value = "true"
		}
		name = strings.TrimLeft(name, "-")
		if name == "output-format" {
			a.outputFormat = value
			continue
		}
		a.flags[name] = value
	}
	return a
}

func adminMain(argv []string) int {
	if c, err := loadConfig(adminConfigPath); err == nil {
		cfg = c
	}
	if cfg.Lab.VolumesRoot == "" {
		cfg.Lab.VolumesRoot = "/vmfs/volumes"
	}
	logLevel = 4 // vDVS's admin CLI logs to its log file only: nothing of ours on its stdout/stderr
	// main(): vmdk_ops.is_service_available() before anything else
	if _, hostd := esxState(); !hostd {
		fmt.Fprintln(os.Stderr, "Unable to connect to the host-agent on this host, ensure the ESXi host agent is running before retrying.")
		return 1
	}
	a := parseAdminArgs(argv)
	switch {
	case strings.Join(a.words, " ") == "volume ls":
		return volumeLs(a)
	case strings.Join(a.words, " ") == "volume set":
		return volumeSet(a)
	case len(a.words) > 1 && a.words[0] == "vmgroup":
		return vmgroupCmd(a.words[1:], a)
	case len(a.words) > 1 && a.words[0] == "config":
		return configCmd(a.words[1:], a)
	case len(a.words) > 1 && a.words[0] == "policy":
		return policyCmd(a.words[1:], a)
	}
	return usage(strings.Join(a.words, " "))
}

// ---- volume ls ----

type lsVolume struct {
	path, filename, datastore, tenant string
}

// tenantName is auth_api.get_tenant_name(): the vmgroup of a folder's uuid in the Config DB;
// without one, the default vmgroup only.
func tenantName(uuid string) (string, bool) {
	if db, ok := loadDB(); ok {
		if t := db.byUUID(uuid); t != nil {
			return t.Name, true
		}
		return "", false
	}
	if uuid == defaultTenantUUID {
		return defaultTenantName, true
	}
	return "", false
}

// tenantUUID is the folder of a vmgroup (the default one's without a Config DB).
func tenantUUID(name string) (string, bool) {
	if db, ok := loadDB(); ok {
		if t := db.find(name); t != nil {
			return t.UUID, true
		}
		return "", false
	}
	return defaultTenantUUID, name == defaultTenantName
}

// lsVolumes is vmdk_utils.get_volumes(tenant_re): os.walk of each datastore's dockvols (symlinks such
// as _DEFAULT are not followed), a folder's vmgroup by its uuid; a folder no vmgroup owns is an
// orphan, listed only for "*".
func lsVolumes(tenantRe string) []lsVolume {
	var out []lsVolume
	for _, ds := range datastoreDirs() {
		root := filepath.Join(cfg.Lab.VolumesRoot, ds, dockVolsDir)
		dirs := []string{root}
		if entries, err := os.ReadDir(root); err == nil {
			for _, e := range entries {
				if e.IsDir() { // a symlink is not a dir entry here: not walked, as os.walk
					dirs = append(dirs, filepath.Join(root, e.Name()))
				}
			}
		}
		for _, dir := range dirs {
			name, known := tenantName(filepath.Base(dir))
			if dir == root {
				known = false
			}
			if known && !fnmatch(tenantRe, name) {
				continue
			}
			if !known {
				if tenantRe != "*" {
					continue
				}
				name = orphanTenant
			}
			for _, f := range listVmdks(dir) {
				out = append(out, lsVolume{path: dir, filename: f, datastore: ds, tenant: name})
			}
		}
	}
	return out
}

// listVmdks is vmdk_utils.list_vmdks(): descriptors of the folder, not snapshots' (-NNNNNN), sorted as os.listdir is not.
func listVmdks(dir string) []string {
	files, _ := os.ReadDir(dir)
	var out []string
	for _, f := range files {
		if isDescriptor(dir, f.Name()) && !snapVmdkRe.MatchString(f.Name()) {
			out = append(out, f.Name())
		}
	}
	sort.Strings(out)
	return out
}

// fnmatch is Python's fnmatch.fnmatch for the patterns vmgroup names use ('*', '?', literal).
func fnmatch(pattern, name string) bool {
	ok, err := filepath.Match(pattern, name)
	return err == nil && ok
}

// lsRow is one row of generate_ls_rows().
func lsRow(ctx context.Context, client func() *vim25.Client, v lsVolume) []string {
	vmdk := filepath.Join(v.path, v.filename)
	meta := kvLoad(vmdk)
	opts, _ := meta[kvVolOpts].(map[string]interface{})
	opt := func(k, def string) string {
		if s, ok := opts[k].(string); ok {
			return s
		}
		return def
	}
	size, alloc := volSizeInfo(vmdk)
	capacity, used := convertSize(size), convertSize(alloc)
	if meta == nil && size == 0 {
		capacity, used = notAvailable, notAvailable
	}
	created, createdBy := notAvailable, notAvailable
	if c, ok := meta[kvCreated].(string); ok {
		if by, ok := meta[kvCreatedBy].(string); ok {
			created, createdBy = c, by
		}
	}
	return []string{
		strings.TrimSuffix(v.filename, ".vmdk"), v.datastore, v.tenant, capacity, used,
		opt(optFstype, notAvailable), opt(optVsanPolicy, notAvailable), opt(optDiskFormat, notAvailable),
		attachedTo(ctx, client, meta), opt(optAccess, defaultAccess), opt(optAttachAs, defaultAttachAs),
		createdBy, created,
	}
}

// attachedTo is get_attached_to(): the VM's name by its UUID, else the name in the KV, else the UUID.
func attachedTo(ctx context.Context, client func() *vim25.Client, meta map[string]interface{}) string {
	uuid, ok := meta[kvAttachedVMUUID].(string)
	if !ok {
		return statusDetached
	}
	if name := vmNameByUUID(ctx, client(), uuid); name != "" {
		return name
	}
	if name, ok := meta[kvAttachedVMName].(string); ok {
		return name
	}
	return uuid
}

func volumeLs(a adminArgs) int {
	tenantRe := "*"
	if g := a.flags["vmgroup"]; g != "" {
		tenantRe = g
	}
	ctx := context.Background()
	// the host agent only for attached volumes' names (vm_uuid2name), logged in once
	var c *vim25.Client
	tried := false
	client := func() *vim25.Client {
		if !tried && cfg.Lab.VsphereURL != "" {
			tried = true
			c, _ = agent.get(ctx)
		}
		return c
	}
	var rows [][]string
	for _, v := range lsVolumes(tenantRe) {
		rows = append(rows, lsRow(ctx, client, v))
	}
	header := lsHeaders
	if cols, ok := a.flags["c"]; ok {
		// ls_dash_c: the chosen columns in the order of the choices, whatever order they were given in
		want := strings.Split(cols, ",")
		var idx []int
		header = nil
		for i, choice := range lsChoices {
			if contains(want, choice) {
				idx = append(idx, i)
				header = append(header, lsHeaders[i])
			}
		}
		for r, row := range rows {
			picked := make([]string, len(idx))
			for j, i := range idx {
				picked[j] = row[i]
			}
			rows[r] = picked
		}
	}
	printList(a.outputFormat, header, rows)
	return 0
}

// ---- volume set ----

// volumeSet is vmdkops_admin.set_vol_opts() over vmdk_ops.set_vol_opts(): only access and attach-as
// may change, in the sidecar's volOpts. Failures print "ERROR:…" on stdout (err_out) and exit 2.
func volumeSet(a adminArgs) int {
	name, group, options := a.flags["volume"], a.flags["vmgroup"], a.flags["options"]
	if name == "" || group == "" || options == "" {
		fmt.Fprintln(os.Stderr, "usage: vmdkops_admin.py volume set [-h] --volume VOLUME --vmgroup VMGROUP --options OPTIONS\nvmdkops_admin.py volume set: error: the following arguments are required: --volume, --vmgroup, --options")
		return cliErrArgs
	}
	failed := func(detail string) int {
		msg := fmt.Sprintf("ERROR:Failed to update %s for %s", options, name)
		if detail != "" {
			msg += " - " + detail
		}
		fmt.Println(msg + ".")
		return cliErrOperation
	}
	// "access=read-only, attach-as=persistent" → {'access': 'read-only', 'attach-as': 'persistent'}
	opts := map[string]string{}
	var keys []string
	for _, kv := range strings.Split(strings.Join(strings.Fields(strings.ReplaceAll(options, "=", ":")), ""), ",") {
		k, v, ok := strings.Cut(kv, ":")
		if !ok || strings.Contains(v, ":") {
			return failed(fmt.Sprintf("dictionary update sequence element #%d has length %d; 2 is required", len(keys), len(strings.Split(kv, ":"))))
		}
		if _, seen := opts[k]; !seen {
			keys = append(keys, k)
		}
		opts[k] = v
	}
	vol, ds, err := parseVolName(name, datastoreDirs())
	uuid, known := tenantUUID(group)
	if err != nil || ds == "" || !known {
		return failed("") // parse_vol_name failed, no datastore, or the vmgroup does not exist
	}
	vmdk := filepath.Join(cfg.Lab.VolumesRoot, ds, dockVolsDir, uuid, vol+".vmdk")
	if !fileExists(vmdk) {
		return failed("") // 'Volume … not found.' goes to the log only
	}
	valid := map[string][]string{optAccess: accessTypes, optAttachAs: attachAsTypes}
	var invalid []string
	for _, k := range keys {
		if _, ok := valid[k]; !ok {
			invalid = append(invalid, k)
		}
	}
	if len(invalid) > 0 {
		return failed(fmt.Sprintf("Invalid options: %s \nOptions that can be edited: ['access', 'attach-as']", pyList(invalid)))
	}
	for _, k := range keys {
		if !contains(valid[k], opts[k]) {
			return failed("") // 'Invalid option value …' goes to the log only
		}
	}
	meta := kvLoad(vmdk)
	if meta == nil {
		return failed("")
	}
	vo, _ := meta[kvVolOpts].(map[string]interface{})
	if vo == nil {
		vo = map[string]interface{}{}
	}
	for _, k := range keys {
		vo[k] = opts[k]
	}
	meta[kvVolOpts] = vo
	if err := kvSave(vmdk, meta); err != nil {
		return failed("")
	}
	printMessage(a.outputFormat, "Successfully updated settings for "+name)
	return 0
}

// ---- output: cli_table.py and cli_xml.py ----

// printMessage is vmdkops_admin.printMessage(): the text, or cli_xml.createMessage's document.
func printMessage(format, message string) {
	if format == "xml" {
		fmt.Printf("<?xml version=\"1.0\" ?>\n<output xmlns=\"http://www.vmware.com/Products/ESX/6.0/esxcli/\">\n\t<string>%s</string>\n</output>\n\n", xmlEscape(message))
		return
	}
	fmt.Println(message)
}

func printList(format string, header []string, rows [][]string) {
	if format == "xml" {
		fmt.Println(xmlTable(header, rows))
	} else {
		fmt.Println(textTable(header, rows))
	}
}

// termWidth is cli_table.term_width(): `stty size`, 80 when there is no terminal (an SSH exec).
func termWidth() int {
	var ws struct{ row, col, x, y uint16 }
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(syscall.Stdin), uintptr(syscall.TIOCGWINSZ), uintptr(unsafe.Pointer(&ws))); e != 0 || ws.col == 0 {
		return 80
	}
	return int(ws.col)
}

const tableSpaces = 2

func textTable(header []string, rows [][]string) string {
	sizes := make([]int, len(header))
	for i, h := range header {
		sizes[i] = runeLen(h)
	}
	for _, r := range rows {
		for i := range header {
			if n := runeLen(r[i]); n > sizes[i] {
				sizes[i] = n
			}
		}
	}
	sizes = shrinkToFit(sizes, termWidth()-tableSpaces*(len(header)-1))
	var b strings.Builder
	b.WriteString(valueRow(truncateRow(header, sizes), sizes) + "\n")
	for i := range sizes {
		b.WriteString(strings.Repeat("-", maxInt(sizes[i], 1)) + "  ")
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString(valueRow(truncateRow(r, sizes), sizes) + "\n")
	}
	return b.String()
}

func runeLen(s string) int { return len([]rune(s)) }

func valueRow(values []string, sizes []int) string {
	var b strings.Builder
	for i, v := range values {
		b.WriteString(v + strings.Repeat(" ", maxInt(sizes[i]+tableSpaces-runeLen(v), 0)))
	}
	return b.String()
}

// truncateRow is cli_table.truncate(): a value longer than its column loses its end to "..".
func truncateRow(values []string, sizes []int) []string {
	out := make([]string, len(values))
	for i, v := range values {
		r := []rune(v)
		if len(r) > sizes[i] {
			end := sizes[i] - 2
			if end < 0 { // Python's column[:negative] counts from the end
				end = maxInt(len(r)+end, 0)
			}
			v = string(r[:end]) + ".."
		}
		out[i] = v
	}
	return out
}

// shrinkToFit is cli_table.shrink_to_fit(): the widest columns shrink first, down to the next widest.
func shrinkToFit(sizes []int, width int) []int {
	total := 0
	for _, s := range sizes {
		total += s
	}
	if total <= width {
		return sizes
	}
	sorted := append([]int(nil), sizes...)
	sort.Sort(sort.Reverse(sort.IntSlice(sorted)))
	work := append([]int(nil), sizes...)
	idx := make([]int, len(sorted))
	for i, s := range sorted {
		for j, w := range work {
			if w == s {
				idx[i] = j
				work[j] = 0
				break
			}
		}
	}
	for total > width {
		largest := sorted[0]
		n := 0
		for _, s := range sorted {
			if s == largest {
				n++
			}
		}
		next := 0
		if n != len(sorted) {
			next = sorted[n]
		}
		remove := total - width
		if (largest-next)*n > remove {
			per, rem := remove/n, remove%n
			for i := 0; i < n; i++ {
				sorted[i] = largest - per
			}
			for i := 0; i < rem; i++ {
				sorted[i]--
			}
		} else {
			for i := 0; i < n; i++ {
				sorted[i] = next
			}
		}
		total = 0
		for _, s := range sorted {
			total += s
		}
	}
	out := make([]int, len(sizes))
	for i, j := range idx {
		out[j] = sorted[i]
	}
	return out
}

// xmlTable is cli_xml.create() as minidom's toprettyxml() writes it (tabs, text inline).
func xmlTable(header []string, rows [][]string) string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" ?>\n<output xmlns=\"http://www.vmware.com/Products/ESX/6.0/esxcli/\">\n\t<list type=\"structure\">\n")
	if len(rows) == 0 {
		rows = [][]string{make([]string, len(header))}
	}
	for _, r := range rows {
		b.WriteString("\t\t<structure typeName=\"vdvs\">\n")
		for i, h := range header {
			fmt.Fprintf(&b, "\t\t\t<field name=\"%s\">\n\t\t\t\t<string>%s</string>\n\t\t\t</field>\n", xmlEscape(h), xmlEscape(r[i]))
		}
		b.WriteString("\t\t</structure>\n")
	}
	b.WriteString("\t</list>\n</output>\n")
	return b.String()
}

// xmlEscape is minidom's _write_data: &, <, " and >.
func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", "\"", "&quot;", ">", "&gt;").Replace(s)
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}
