// Snapshots as ESXi makes them, for the disks of the lab VM (lab/README.md, "Snapshots").
//
// vcsim's own CreateSnapshot only records the snapshot. Here the SOAP calls are intercepted around
// the simulator's handler, so that
//   - CreateSnapshot_Task freezes the base disk of every attached persistent disk: the live flat
//     file (which the plugin's loop device keeps writing to) is renamed to a delta
//     `<vol>-NNNNNN-delta.vmdk` and reflink-cloned back to its old name, the frozen base that
//     /folder downloads read. With quiesce=true it first needs VMware Tools running in the VM
//     (else ToolsUnavailable, as ESXi) and freezes the Docker host's file system of each volume
//     (FIFREEZE, what the tools' fsfreeze does) around that moment. Without quiesce nothing is
//     flushed: the base is crash-consistent.
//   - RemoveSnapshot_Task / RemoveAllSnapshots_Task merge: a snapshot's delta is renamed over its
//     parent file (the clone is a full copy, so the rename is the consolidation).
//   - at start, deltas left by an earlier vcsim (which kept its snapshots in memory only) are
//     consolidated into their base.
// The datastore must be on a file system with reflinks (the lab puts it on a loop-mounted XFS).
package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io/ioutil"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

const (
	ioctlFIFREEZE = 0xC0045877 // _IOWR('X', 119, int)
	ioctlFITHAW   = 0xC0045878 // _IOWR('X', 120, int)
	ioctlFICLONE  = 0x40049409 // _IOW(0x94, 9, int)
)

// chainFile is one file of a disk's chain: the base flat file (snapshot "") or the delta that a
// snapshot made the live file.
type chainFile struct {
	path     string
	snapshot string
}

type snapshotDisks struct {
	mu     sync.Mutex
	dsName string
	dsDir  string
	// by the base flat file's path: base first, the live file last
	chains map[string][]chainFile
}

func newSnapshotDisks(dsName, dsDir string) *snapshotDisks {
	return &snapshotDisks{dsName: dsName, dsDir: dsDir, chains: map[string][]chainFile{}}
}

type soapCall struct {
	Body struct {
		Call struct {
			XMLName        xml.Name
			This           string `xml:"_this"`
			Quiesce        bool   `xml:"quiesce"`
			RemoveChildren bool   `xml:"removeChildren"`
		} `xml:",any"`
	} `xml:"Body"`
}

// bufferedResponse holds the simulator's answer until the disk files match it: a client that
// polls the task must not see it done before the files are.
type bufferedResponse struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedResponse) WriteHeader(code int)        { b.code = code }

func (b *bufferedResponse) copyTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.WriteHeader(b.code)
	_, _ = w.Write(b.body.Bytes())
}

// wrap intercepts the snapshot calls of the /sdk endpoint; everything else goes straight through.
func (d *snapshotDisks) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/sdk") {
			next.ServeHTTP(w, r)
			return
		}
		body, err := ioutil.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.Body = ioutil.NopCloser(bytes.NewReader(body))
		var call soapCall
		method := ""
		if bytes.Contains(body, []byte("Snapshot")) || bytes.Contains(body, []byte("ConsolidateVMDisks")) {
			if xml.Unmarshal(body, &call) == nil {
				method = call.Body.Call.XMLName.Local
			}
		}
		c := call.Body.Call
		switch method {
		case "CreateSnapshot_Task":
			d.mu.Lock()
			defer d.mu.Unlock()
			d.createSnapshot(w, r, next, c.This, c.Quiesce)
		case "RemoveSnapshot_Task":
			d.mu.Lock()
			defer d.mu.Unlock()
			d.removeSnapshot(w, r, next, c.This, c.RemoveChildren)
		case "RemoveAllSnapshots_Task", "ConsolidateVMDisks_Task":
			d.mu.Lock()
			defer d.mu.Unlock()
			d.removeAll(w, r, next, c.This)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func vmByRef(value string) *simulator.VirtualMachine {
	vm, _ := simulator.Map.Get(types.ManagedObjectReference{Type: "VirtualMachine", Value: value}).(*simulator.VirtualMachine)
	return vm
}

// persistentDisks are the base flat files of the VM's attached disks that a snapshot holds (not
// independent), which exist on this datastore.
func (d *snapshotDisks) persistentDisks(vm *simulator.VirtualMachine) []string {
	var flats []string
	simulator.Map.WithLock(vm, func() {
		for _, dev := range vm.Config.Hardware.Device {
			disk, ok := dev.(*types.VirtualDisk)
			if !ok {
				continue
			}
			b, ok := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
			if !ok || b.DiskMode != string(types.VirtualDiskModePersistent) {
				continue
			}
			if flat := d.flatOf(b.FileName); flat != "" {
				flats = append(flats, flat)
			}
		}
	})
	return flats
}

var extentLine = regexp.MustCompile(`(?m)^RW\s+\d+\s+\w+\s+"([^"]+)"`)

// flatOf is the flat extent file of a `[ds] path.vmdk` descriptor (its extent line, else
// `<name>-flat.vmdk`), symlinks resolved; "" when it is on another datastore or missing.
func (d *snapshotDisks) flatOf(fileName string) string {
	prefix := "[" + d.dsName + "] "
	if !strings.HasPrefix(fileName, prefix) {
		return ""
	}
	desc := filepath.Join(d.dsDir, strings.TrimPrefix(fileName, prefix))
	flat := strings.TrimSuffix(desc, ".vmdk") + "-flat.vmdk"
	if text, err := ioutil.ReadFile(desc); err == nil {
		if m := extentLine.FindSubmatch(text); m != nil {
			flat = filepath.Join(filepath.Dir(desc), string(m[1]))
		}
	}
	real, err := filepath.EvalSymlinks(flat)
	if err != nil {
		return ""
	}
	if st, err := os.Stat(real); err != nil || !st.Mode().IsRegular() {
		return ""
	}
	return real
}

func (d *snapshotDisks) chain(flat string) []chainFile {
	if c, ok := d.chains[flat]; ok {
		return c
	}
	return []chainFile{{path: flat}}
}

func (d *snapshotDisks) createSnapshot(w http.ResponseWriter, r *http.Request, next http.Handler, vmRef string, quiesce bool) {
	vm := vmByRef(vmRef)
	if vm == nil {
		next.ServeHTTP(w, r)
		return
	}
	flats := d.persistentDisks(vm)
	if quiesce {
		var tools types.VirtualMachineToolsRunningStatus
		simulator.Map.WithLock(vm, func() {
			if vm.Guest != nil {
				tools = types.VirtualMachineToolsRunningStatus(vm.Guest.ToolsRunningStatus)
			}
		})
		if tools != types.VirtualMachineToolsRunningStatusGuestToolsRunning {
			failedTask(w, vm, &types.ToolsUnavailable{}, "Cannot complete operation because VMware Tools is not running in this virtual machine.")
			return
		}
	}
	var frozen []string
	thaw := func() {
		for _, mp := range frozen {
			if err := ioctlPath(mp, ioctlFITHAW); err != nil {
				log.Printf("snapshot: thaw %s: %v", mp, err)
			}
		}
		frozen = nil
	}
	if quiesce {
		for _, flat := range flats {
			c := d.chain(flat)
			for _, mp := range mountsOf(c[len(c)-1].path) {
				if err := ioctlPath(mp, ioctlFIFREEZE); err != nil {
					thaw()
					log.Printf("snapshot: quiesce: freeze %s: %v", mp, err)
					failedTask(w, vm, &types.ApplicationQuiesceFault{}, "An error occurred while quiescing the virtual machine. See the virtual machine's event log for details.")
					return
				}
				frozen = append(frozen, mp)
				break // one mount of the file system is enough to freeze it
			}
		}
	}
	var made []string
	var fault error
	for _, flat := range flats {
		c := d.chain(flat)
		live := c[len(c)-1].path
		delta := nextDelta(flat)
		if err := os.Rename(live, delta); err != nil {
			fault = err
			break
		}
		if err := reflinkCopy(delta, live); err != nil {
			_ = os.Rename(delta, live)
			fault = err
			break
		}
		d.chains[flat] = append(c, chainFile{path: delta})
		made = append(made, flat)
	}
	thaw()
	if fault != nil {
		d.dropLast(made)
		failedTask(w, vm, &types.FileFault{File: fault.Error()}, fmt.Sprintf("An error occurred while saving the snapshot: %v", fault))
		return
	}

	var before *types.ManagedObjectReference
	simulator.Map.WithLock(vm, func() {
		if vm.Snapshot != nil {
			before = vm.Snapshot.CurrentSnapshot
		}
	})
	res := &bufferedResponse{header: http.Header{}, code: http.StatusOK}
	next.ServeHTTP(res, r)
	var after *types.ManagedObjectReference
	simulator.Map.WithLock(vm, func() {
		if vm.Snapshot != nil {
			after = vm.Snapshot.CurrentSnapshot
		}
	})
	if after == nil || (before != nil && *after == *before) {
		d.dropLast(made) // the simulator refused it: no snapshot holds the deltas
	} else {
		for _, flat := range made {
			c := d.chains[flat]
			c[len(c)-1].snapshot = after.Value
		}
		log.Printf("snapshot %s of %s (quiesce %v): %d disk(s) frozen", after.Value, vm.Name, quiesce, len(made))
	}
	res.copyTo(w)
}

// dropLast merges the newest delta of each of these disks back (a snapshot that was not made).
func (d *snapshotDisks) dropLast(flats []string) {
	for _, flat := range flats {
		c := d.chains[flat]
		d.merge(flat, len(c)-1)
	}
}

// merge folds file i of a chain into its parent: the delta (a full copy) replaces the parent
// file. A parent that is gone (the disk was deleted meanwhile) takes the delta with it.
func (d *snapshotDisks) merge(flat string, i int) {
	c := d.chains[flat]
	parent, delta := c[i-1].path, c[i].path
	if _, err := os.Stat(parent); err == nil {
		if err := os.Rename(delta, parent); err != nil {
			log.Printf("snapshot: merge %s into %s: %v", delta, parent, err)
		}
	} else {
		_ = os.Remove(delta)
	}
	c = append(c[:i:i], c[i+1:]...)
	if len(c) == 1 {
		delete(d.chains, flat)
	} else {
		d.chains[flat] = c
	}
}

// mergeSnapshots merges the deltas of these snapshots (and of snapshots vcsim no longer knows).
func (d *snapshotDisks) mergeSnapshots(refs map[string]bool) int {
	n := 0
	for flat := range d.chains {
		for i := len(d.chains[flat]) - 1; i >= 1; i-- {
			s := d.chains[flat][i].snapshot
			if refs[s] || simulator.Map.Get(types.ManagedObjectReference{Type: "VirtualMachineSnapshot", Value: s}) == nil {
				d.merge(flat, i)
				n++
				if _, ok := d.chains[flat]; !ok {
					break
				}
			}
		}
	}
	return n
}

func (d *snapshotDisks) removeSnapshot(w http.ResponseWriter, r *http.Request, next http.Handler, snapRef string, children bool) {
	refs := map[string]bool{snapRef: true}
	if s, ok := simulator.Map.Get(types.ManagedObjectReference{Type: "VirtualMachineSnapshot", Value: snapRef}).(*simulator.VirtualMachineSnapshot); ok && children {
		if vm := vmByRef(s.Vm.Value); vm != nil {
			simulator.Map.WithLock(vm, func() {
				if vm.Snapshot != nil {
					collectSubtree(vm.Snapshot.RootSnapshotList, snapRef, false, refs)
				}
			})
		}
	}
	res := &bufferedResponse{header: http.Header{}, code: http.StatusOK}
	next.ServeHTTP(res, r)
	if simulator.Map.Get(types.ManagedObjectReference{Type: "VirtualMachineSnapshot", Value: snapRef}) == nil {
		if n := d.mergeSnapshots(refs); n > 0 {
			log.Printf("snapshot %s removed: %d delta(s) merged", snapRef, n)
		}
	}
	res.copyTo(w)
}

func collectSubtree(nodes []types.VirtualMachineSnapshotTree, root string, inside bool, out map[string]bool) {
	for _, n := range nodes {
		in := inside || n.Snapshot.Value == root
		if in {
			out[n.Snapshot.Value] = true
		}
		collectSubtree(n.ChildSnapshotList, root, in, out)
	}
}

func (d *snapshotDisks) removeAll(w http.ResponseWriter, r *http.Request, next http.Handler, vmRef string) {
	res := &bufferedResponse{header: http.Header{}, code: http.StatusOK}
	next.ServeHTTP(res, r)
	if n := d.mergeSnapshots(map[string]bool{}); n > 0 {
		log.Printf("snapshots of %s removed/consolidated: %d delta(s) merged", vmRef, n)
	}
	res.copyTo(w)
}

// failedTask answers CreateSnapshot_Task with a task that failed with `fault`, as ESXi does.
func failedTask(w http.ResponseWriter, vm *simulator.VirtualMachine, fault types.BaseMethodFault, message string) {
	task := simulator.CreateTask(vm, "createSnapshot", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) { return nil, fault })
	ref := task.Run()
	simulator.Map.Update(task, []types.PropertyChange{{Name: "info.error", Val: types.LocalizedMethodFault{Fault: fault, LocalizedMessage: message}}})
	log.Printf("snapshot of %s refused: %s", vm.Name, message)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><CreateSnapshot_TaskResponse xmlns="urn:vim25"><returnval type="Task">%s</returnval></CreateSnapshot_TaskResponse></soapenv:Body></soapenv:Envelope>`, ref.Value)
}

var deltaName = regexp.MustCompile(`^(.*)-(\d{6})-delta\.vmdk$`)

// nextDelta is `<vol>-NNNNNN-delta.vmdk` next to the flat file, NNNNNN one more than any there.
func nextDelta(flat string) string {
	base := strings.TrimSuffix(filepath.Base(flat), "-flat.vmdk")
	n := 0
	entries, _ := ioutil.ReadDir(filepath.Dir(flat))
	for _, e := range entries {
		if m := deltaName.FindStringSubmatch(e.Name()); m != nil && m[1] == base {
			if k, _ := strconv.Atoi(m[2]); k > n {
				n = k
			}
		}
	}
	return filepath.Join(filepath.Dir(flat), fmt.Sprintf("%s-%06d-delta.vmdk", base, n+1))
}

// consolidateLeftovers folds the deltas an earlier vcsim left (its snapshots are gone with it)
// into their base: the newest delta is the live disk.
func consolidateLeftovers(dsDir string) {
	newest := map[string]string{}
	var all []string
	_ = filepath.Walk(filepath.Join(dsDir, "dockvols"), func(p string, info os.FileInfo, err error) error {
		if err != nil || !info.Mode().IsRegular() {
			return nil
		}
		if m := deltaName.FindStringSubmatch(info.Name()); m != nil {
			flat := filepath.Join(filepath.Dir(p), m[1]+"-flat.vmdk")
			all = append(all, p)
			if p > newest[flat] {
				newest[flat] = p
			}
		}
		return nil
	})
	sort.Strings(all)
	for flat, live := range newest {
		if _, err := os.Stat(flat); err == nil {
			if err := os.Rename(live, flat); err != nil {
				log.Printf("consolidate %s: %v", live, err)
				continue
			}
			log.Printf("consolidated leftover %s into %s", filepath.Base(live), filepath.Base(flat))
		}
	}
	for _, p := range all {
		_ = os.Remove(p) // older deltas (and those of deleted disks); the newest is renamed already
	}
}

// reflinkCopy makes dst a copy of src sharing its blocks (FICLONE): instant, and a point in time
// of src (XFS flushes src's dirty pages and locks out writers for the clone).
func reflinkCopy(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, st.Mode().Perm())
	if err != nil {
		return err
	}
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, out.Fd(), ioctlFICLONE, in.Fd())
	cerr := out.Close()
	if errno != 0 {
		_ = os.Remove(dst)
		return fmt.Errorf("reflink %s: %v (the datastore needs a file system with reflinks, e.g. XFS)", dst, errno)
	}
	return cerr
}

func ioctlPath(dir string, req uintptr) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), req, 0); errno != 0 {
		return errno
	}
	return nil
}

// mountsOf are the host's mount points of the file systems on the loop devices backed by `file`
// (the plugin's propagated mounts of a volume). losetup -j matches device and inode: the
// backing_file text is the path as the plugin's mount namespace sees it.
func mountsOf(file string) []string {
	out, _ := exec.Command("losetup", "-l", "-n", "-O", "NAME", "-j", file).Output()
	var mps []string
	info, _ := ioutil.ReadFile("/proc/self/mountinfo")
	for _, dev := range strings.Fields(string(out)) {
		majmin, err := ioutil.ReadFile(filepath.Join("/sys/block", filepath.Base(dev), "dev"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(info), "\n") {
			f := strings.Fields(line)
			if len(f) > 4 && f[2] == strings.TrimSpace(string(majmin)) {
				mps = append(mps, unescapeMount(f[4]))
			}
		}
	}
	return mps
}

func unescapeMount(s string) string {
	return regexp.MustCompile(`\\[0-7]{3}`).ReplaceAllStringFunc(s, func(o string) string {
		n, _ := strconv.ParseUint(o[1:], 8, 8)
		return string(rune(n))
	})
}
