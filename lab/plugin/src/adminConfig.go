package main

// The Config DB side of vmdkops_admin.py (esx_service/cli/vmdkops_admin.py tenant_*, config_*;
// esx_service/utils/auth_api.py, auth_data.py; texts of error_code.py error_code_to_message).
// The lab keeps the DB as JSON at vDVS's path (auth_data.AUTH_DB_PATH) instead of sqlite; only the
// local (SingleNode) mode is modelled.

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	authDBPath    = "/etc/vmware/vmdkops/auth-db" // auth_data.AUTH_DB_PATH
	dbRef         = "Config DB "                  // auth_data.DB_REF
	allDS         = "_ALL_DS"                     // auth_data_const.ALL_DS
	initNeededMsg = "Configuration not found. Please init configuration with 'esxcli storage guestvol config init'."
)

type privilege struct {
	Datastore   string `json:"datastore"`
	AllowCreate bool   `json:"allow_create"`
	MaxMB       int64  `json:"max_volume_size"` // 0: unset
	QuotaMB     int64  `json:"usage_quota"`     // 0: unset
}

type vmEntry struct {
	UUID string `json:"uuid"`
	Name string `json:"name"`
}

type tenant struct {
	UUID             string      `json:"uuid"`
	Name             string      `json:"name"`
	Description      string      `json:"description"`
	DefaultDatastore string      `json:"default_datastore"`
	VMs              []vmEntry   `json:"vms"`
	Privileges       []privilege `json:"privileges"`
}

type authDB struct {
	Tenants []*tenant `json:"tenants"`
}

func loadDB() (*authDB, bool) {
	b, err := os.ReadFile(authDBPath)
	if err != nil {
		return nil, false
	}
	var db authDB
	if json.Unmarshal(b, &db) != nil {
		return nil, false
	}
	return &db, true
}

func (db *authDB) save() error {
	b, _ := json.MarshalIndent(db, "", "  ")
	os.MkdirAll(filepath.Dir(authDBPath), 0755)
	tmp := authDBPath + ".tmp"
	if err := os.WriteFile(tmp, b, 0644); err != nil {
		return err
	}
	return os.Rename(tmp, authDBPath)
}

func (db *authDB) find(name string) *tenant {
	for _, t := range db.Tenants {
		if t.Name == name {
			return t
		}
	}
	return nil
}

func (db *authDB) byUUID(uuid string) *tenant {
	for _, t := range db.Tenants {
		if t.UUID == uuid {
			return t
		}
	}
	return nil
}

func newUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// errOut is vmdkops_admin.err_out(): "ERROR:" and the text on stdout, exit 2.
func errOut(msg string) int {
	fmt.Println("ERROR:" + msg)
	return cliErrOperation
}

// convertToMB is convert.convert_to_MB(): "<n>MB|GB|TB" (any case), 0 for anything else.
func convertToMB(s string) int64 {
	l := strings.ToLower(s)
	mult := map[string]int64{"mb": 1, "gb": 1024, "tb": 1024 * 1024}
	if len(l) < 3 {
		return 0
	}
	m, ok := mult[l[len(l)-2:]]
	n, err := strconv.ParseInt(l[:len(l)-2], 10, 64)
	if !ok || err != nil {
		return 0
	}
	return n * m
}

// humanReadable is vmdkops_admin.human_readable() of a size in MB.
func humanReadable(mb int64) string {
	b := float64(mb) * 1024 * 1024
	const KB, MB, GB, TB = 1024.0, 1024.0 * 1024, 1024.0 * 1024 * 1024, 1024.0 * 1024 * 1024 * 1024
	switch {
	case b >= TB:
		return fmt.Sprintf("%.2fTB", b/TB)
	case b >= GB:
		return fmt.Sprintf("%.2fGB", b/GB)
	case b >= MB:
		return fmt.Sprintf("%.2fMB", b/MB)
	}
	return fmt.Sprintf("%.2fKB", b/KB)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func configCmd(words []string, a adminArgs) int {
	switch words[0] {
	case "init":
		if _, ok := loadDB(); ok {
			return errOut(dbRef + " is already initialized. Use 'rm --local' or 'rm --unlink' to reset")
		}
		if a.flags["datastore"] != "" {
			return errOut("the lab models the local Config DB only: use --local")
		}
		db := &authDB{Tenants: []*tenant{{
			UUID: defaultTenantUUID, Name: defaultTenantName, Description: "This is a default vmgroup",
			DefaultDatastore: vmDSName, VMs: []vmEntry{},
			Privileges: []privilege{{Datastore: vmDSName, AllowCreate: true}, {Datastore: allDS, AllowCreate: true}},
		}}}
		if err := db.save(); err != nil {
			return errOut("Init failed: " + err.Error())
		}
		printMessage(a.outputFormat, "Warning: this feature is EXPERIMENTAL\nCreating new DB at "+authDBPath+
			"\nWarning: Local configuration will not survive ESXi reboot. See KB2043564 for details")
		return 0
	case "status":
		mode, local := "NotConfigured (no local DB, no symlink to shared DB)", "N/A"
		if _, ok := loadDB(); ok {
			mode, local = "SingleNode (local DB exists)", authDBPath
		}
		printMessage(a.outputFormat, fmt.Sprintf("DB_Mode: %s\nDB_LocalPath: %s\nDB_SharedLocation: N/A", mode, local))
		return 0
	case "rm":
		local, unlink := a.flags["local"] != "", a.flags["unlink"] != ""
		if !local && !unlink {
			return errOut("\n        DB removal is irreversible operation. Please use '--local' flag for removing DB in SingleNode mode,\n" +
				"        and use '--unlink' to unlink from DB in MultiNode mode.\n" +
				"        Note that '--unlink' will not remove a shared DB, but simply configure the current ESXi host to stop using it.\n" +
				"        For removing shared DB, run 'vmdkops_admin config rm --unlink' on ESXi hosts using this DB, and then manually\n" +
				"        remove the actual DB file 'vmdkops_config.db' from shared storage.\n        ")
		}
		if local && unlink {
			return errOut("\n        Cannot use '--local' and '--unlink' together. Please use '--local' flag for removing DB in SingleNode mode,\n" +
				"        and use '--unlink' to unlink from DB in MultiNode mode.\n        ")
		}
		if a.flags["confirm"] == "" {
			return errOut("Warning: For extra safety, removal operation requires '--confirm' flag.")
		}
		if _, ok := loadDB(); !ok {
			printMessage(a.outputFormat, "Nothing to do - Mode=NotConfigured (no local DB, no symlink to shared DB).")
			return 0
		}
		if a.flags["unlink"] != "" {
			return errOut("'rm --unlink' is not supported when " + dbRef + "is in SingleNode mode. Use 'rm --local' to remove local DB configuration.")
		}
		target := authDBPath + ".bak_" + strings.ReplaceAll(asctime(time.Now()), " ", "_")
		os.Rename(authDBPath, target)
		printMessage(a.outputFormat, fmt.Sprintf("Moved %s to backup file %s", authDBPath, target))
		return 0
	}
	return usage("config " + strings.Join(words, " "))
}

func vmgroupCmd(words []string, a adminArgs) int {
	db, ok := loadDB()
	if !ok {
		return errOut(initNeededMsg)
	}
	name := a.flags["name"]
	t := db.find(name)
	notExist := func() int { return errOut(fmt.Sprintf("Vmgroup %s does not exist", name)) }
	save := func(msg string) int {
		if err := db.save(); err != nil {
			return errOut("Sqlite3 error - see log for more info")
		}
		printMessage(a.outputFormat, msg)
		return 0
	}
	known := datastoreDirs()
	dsKnown := func(ds string) bool { return ds == vmDSName || ds == allDS || contains(known, ds) }
	switch strings.Join(words, " ") {
	case "create":
		if t != nil {
			return errOut(fmt.Sprintf("Vmgroup %s already exists", name))
		}
		if len([]rune(name)) > 64 {
			return errOut("Vmgroup name exceeds 64 characters: " + name)
		}
		ds := a.flags["default-datastore"]
		if ds == allDS {
			return errOut("Cannot use _ALL_DS as default datastore. Please use specific datastore name or _VM_DS special datastore")
		}
		if !dsKnown(ds) {
			return errOut(fmt.Sprintf("Datastore %s does not exist", ds))
		}
		nt := &tenant{UUID: newUUID(), Name: name, Description: a.flags["description"], DefaultDatastore: ds, VMs: []vmEntry{}}
		// _tenant_create: full access to the default datastore
		nt.Privileges = []privilege{{Datastore: ds, AllowCreate: true}}
		for _, vm := range splitList(a.flags["vm-list"]) {
			if other := db.vmTenant(vm); other != nil {
				return errOut(fmt.Sprintf("VM '%s' has already been associated with tenant '%s', can't add it", vm, other.Name))
			}
			uuid := vmUUIDOf(vm)
			if uuid == "" {
				return errOut("Cannot find vm " + vm)
			}
			nt.VMs = append(nt.VMs, vmEntry{UUID: uuid, Name: vm})
		}
		db.Tenants = append(db.Tenants, nt)
		if name == defaultTenantName {
			return save(fmt.Sprintf("vmgroup '%s' is created.", name))
		}
		return save(fmt.Sprintf("vmgroup '%s' is created. Do not forget to run 'vmgroup vm add' to add vm to vmgroup.", name))
	case "update":
		if t == nil {
			return notExist()
		}
		if nn := a.flags["new-name"]; nn != "" {
			if name == defaultTenantName {
				return errOut(fmt.Sprintf("This feature is not supported for vmgroup %s.", name))
			}
			if db.find(nn) != nil {
				return errOut(fmt.Sprintf("Vmgroup %s already exists", nn))
			}
			t.Name = nn
		}
		if d := a.flags["description"]; d != "" {
			t.Description = d
		}
		if ds := a.flags["default-datastore"]; ds != "" {
			if !dsKnown(ds) || ds == allDS {
				return errOut(fmt.Sprintf("Datastore %s does not exist", ds))
			}
			t.DefaultDatastore = ds
			if t.privilege(ds) == nil {
				t.Privileges = append(t.Privileges, privilege{Datastore: ds, AllowCreate: true})
			}
		}
		return save("vmgroup modify succeeded")
	case "rm":
		if t == nil {
			return notExist()
		}
		if len(t.VMs) > 0 && a.flags["force"] == "" {
			return errOut(fmt.Sprintf("Cannot delete non-empty vmgroup %s. Remove VMs from the vmgroup before deleting it.", name))
		}
		for i, x := range db.Tenants {
			if x == t {
				db.Tenants = append(db.Tenants[:i], db.Tenants[i+1:]...)
				break
			}
		}
		msg := "vmgroup rm succeeded"
		if a.flags["remove-volumes"] != "" {
			for _, ds := range known {
				os.RemoveAll(filepath.Join(cfg.Lab.VolumesRoot, ds, dockVolsDir, t.UUID))
			}
			msg = "All Volumes will be removed. " + msg
		}
		return save(msg)
	case "ls":
		var rows [][]string
		for _, x := range db.Tenants {
			var names []string
			for _, vm := range x.VMs {
				names = append(names, vm.Name)
			}
			rows = append(rows, []string{x.UUID, x.Name, x.Description, x.DefaultDatastore, strings.Join(names, ",")})
		}
		printList(a.outputFormat, []string{"Uuid", "Name", "Description", "Default_datastore", "VM_list"}, rows)
		return 0
	case "vm add", "vm rm", "vm replace":
		if t == nil {
			return notExist()
		}
		vms := splitList(a.flags["vm-list"])
		if len(vms) == 0 {
			if words[1] == "replace" {
				return errOut("Replace VM cannot be empty")
			}
			return errOut("VM list cannot be empty")
		}
		seen := map[string]bool{}
		for _, vm := range vms {
			if seen[vm] {
				return errOut(fmt.Sprintf("VMs %s contain duplicates, they should be unique", pyList(vms)))
			}
			seen[vm] = true
		}
		switch words[1] {
		case "add", "replace":
			if name == defaultTenantName {
				return errOut(fmt.Sprintf("This feature is not supported for vmgroup %s.", name))
			}
			for _, vm := range vms {
				if other := db.vmTenant(vm); other != nil && (other != t || words[1] == "add") {
					if other == t {
						return errOut(fmt.Sprintf("VM '%s' has already been associated with tenant '%s', cannot add it again", vm, name))
					}
					return errOut(fmt.Sprintf("VM '%s' has already been associated with tenant '%s', can't add it", vm, other.Name))
				}
			}
			var added []vmEntry
			for _, vm := range vms {
				uuid := vmUUIDOf(vm)
				if uuid == "" {
					return errOut("Cannot find vm " + vm)
				}
				added = append(added, vmEntry{UUID: uuid, Name: vm})
			}
			if words[1] == "replace" {
				t.VMs = []vmEntry{}
			}
			t.VMs = append(t.VMs, added...)
		case "rm":
			for _, vm := range vms {
				if db.vmTenant(vm) != t {
					return errOut(fmt.Sprintf("VM '%s' has not been associated with tenant '%s', cannot remove it", vm, name))
				}
			}
			var kept []vmEntry
			for _, e := range t.VMs {
				if !seen[e.Name] {
					kept = append(kept, e)
				}
			}
			t.VMs = append([]vmEntry{}, kept...)
		}
		return save("vmgroup vm " + words[1] + " succeeded")
	case "vm ls":
		if name == defaultTenantName {
			return errOut(defaultTenantName + " tenant contains all VMs which were not added to other tenants")
		}
		if t == nil {
			return notExist()
		}
		var rows [][]string
		for _, vm := range t.VMs {
			rows = append(rows, []string{vm.UUID, vm.Name})
		}
		printList(a.outputFormat, []string{"Uuid", "Name"}, rows)
		return 0
	case "access add", "access set":
		if t == nil {
			return notExist()
		}
		ds := a.flags["datastore"]
		if !dsKnown(ds) {
			return errOut(fmt.Sprintf("Datastore %s does not exist", ds))
		}
		p := t.privilege(ds)
		if words[1] == "add" && p != nil {
			return errOut(fmt.Sprintf("Access privilege for (%s, %s) already exists", name, ds))
		}
		if words[1] == "set" && p == nil {
			return errOut(fmt.Sprintf("No access privilege exists for (%s, %s)", name, ds))
		}
		np := privilege{Datastore: ds}
		if p != nil {
			np = *p
		}
		if v, ok := a.flags["allow-create"]; ok {
			if words[1] == "add" {
				np.AllowCreate = true
			} else if strings.EqualFold(v, "true") {
				np.AllowCreate = true
			} else if strings.EqualFold(v, "false") {
				np.AllowCreate = false
			} else {
				return errOut(fmt.Sprintf("Invalid value %s for allow-create option", v))
			}
		}
		if v := a.flags["volume-maxsize"]; v != "" {
			np.MaxMB = convertToMB(v)
		}
		if v := a.flags["volume-totalsize"]; v != "" {
			if ds == allDS {
				return errOut("Cannot set volume-totalsize for " + allDS)
			}
			np.QuotaMB = convertToMB(v)
		}
		if np.MaxMB != 0 && np.QuotaMB != 0 && np.MaxMB > np.QuotaMB {
			return errOut(fmt.Sprintf("Volume max size %dMB exceeds the total size %dMB", np.MaxMB, np.QuotaMB))
		}
		if p != nil {
			*p = np
		} else {
			t.Privileges = append(t.Privileges, np)
		}
		return save("vmgroup access " + words[1] + " succeeded")
	case "access rm":
		if t == nil {
			return notExist()
		}
		ds := a.flags["datastore"]
		if ds == t.DefaultDatastore {
			return errOut("Removing of access privilege to 'default_datastore' is not supported")
		}
		for i, p := range t.Privileges {
			if p.Datastore == ds {
				t.Privileges = append(t.Privileges[:i], t.Privileges[i+1:]...)
				return save("vmgroup access rm succeeded")
			}
		}
		return errOut(fmt.Sprintf("No access privilege exists for (%s, %s)", name, ds))
	case "access ls":
		if t == nil {
			return notExist()
		}
		var rows [][]string
		for _, p := range t.Privileges {
			size := func(mb int64) string {
				if mb == 0 {
					return "Unset"
				}
				return humanReadable(mb)
			}
			rows = append(rows, []string{p.Datastore, map[bool]string{true: "True", false: "False"}[p.AllowCreate], size(p.MaxMB), size(p.QuotaMB)})
		}
		printList(a.outputFormat, []string{"Datastore", "Allow_create", "Max_volume_size", "Total_size"}, rows)
		return 0
	}
	return usage("vmgroup " + strings.Join(words, " "))
}

func (t *tenant) privilege(ds string) *privilege {
	for i := range t.Privileges {
		if t.Privileges[i].Datastore == ds {
			return &t.Privileges[i]
		}
	}
	return nil
}

// vmTenant is the vmgroup a VM was added to (by name: the lab's VMs are named uniquely).
func (db *authDB) vmTenant(vm string) *tenant {
	for _, t := range db.Tenants {
		for _, e := range t.VMs {
			if e.Name == vm {
				return t
			}
		}
	}
	return nil
}

// vmUUIDOf is the VM's UUID as vmdk_utils.get_vm_uuid_by_name finds it: through the host agent.
func vmUUIDOf(name string) string {
	ctx := ctxBG()
	c, err := agent.get(ctx)
	if err != nil {
		return ""
	}
	if vm, err := agent.findVM(ctx, c, name); err == nil && vm != nil {
		return vm.uuid
	}
	return ""
}

func usage(cmd string) int {
	fmt.Fprintf(os.Stderr, "usage: vmdkops_admin.py [-h] [--output-format OUTPUT_FORMAT]\n                         {volume,policy,vmgroup,config,status} ...\nvmdkops_admin.py: error: unsupported command: %s\n", cmd)
	return cliErrArgs
}
