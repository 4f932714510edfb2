package main

// The Docker-host side of vDVS (client_plugin/drivers/vmdk/vmdk_driver.go):
// refcounts, mkfs on create, mount/unmount. The "device" of an attached disk
// is a loop device over the flat file on the (bind-mounted) datastore.

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

var binSearchPath = []string{"/bin", "/sbin", "/usr/bin", "/usr/sbin"}

type driver struct {
	mu        sync.Mutex
	refCounts map[string]int
	idToName  map[string]string
}

func newDriver() *driver {
	return &driver{refCounts: map[string]int{}, idToName: map[string]string{}}
}

// initRefCounts: volumes still mounted from a previous run count once.
func (d *driver) initRefCounts() {
	for name := range mountedVolumes() {
		d.refCounts[name] = 1
	}
}

func getMountPoint(name string) string { return filepath.Join(mountRoot, name) }

func mountedVolumes() map[string]bool {
	out := map[string]bool{}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && strings.HasPrefix(fields[4], mountRoot+"/") {
			out[strings.TrimPrefix(fields[4], mountRoot+"/")] = true
		}
	}
	return out
}

// mkfsLookup is fs.mkfsLookup(): the mkfs.* tools found in the plugin rootfs.
func mkfsLookup() map[string]string {
	m := map[string]string{}
	for _, sp := range binSearchPath {
		tools, _ := filepath.Glob(sp + "/mkfs.*")
		for _, t := range tools {
			m[strings.Split(t, ".")[1]] = t
		}
	}
	return m
}

func verifyFSSupport(fstype string) error {
	supported := mkfsLookup()
	if _, ok := supported[fstype]; ok {
		return nil
	}
	names := make([]string, 0, len(supported))
	for k := range supported {
		names = append(names, k)
	}
	sort.Strings(names) // vDVS iterates a Go map: random order
	return errors.New("Not found mkfs for " + fstype + "\nSupported filesystems found: " + strings.Join(names, ", "))
}

func esxError(err error) map[string]interface{} { return map[string]interface{}{"Err": err.Error()} }

func (d *driver) Create(r pluginRequest) map[string]interface{} {
	infof("Creating volume name=%s opts=%v", r.Name, r.Opts)
	opts := map[string]string{}
	for k, v := range r.Opts {
		opts[k] = v
	}
	_, hasFs := opts[optFstype]
	_, hasClone := opts[optCloneFrom]
	if !hasFs && !hasClone {
		opts[optFstype] = defaultFstype
	}
	if fs, ok := opts[optFstype]; ok {
		if err := verifyFSSupport(fs); err != nil {
			errorf("Not supported name=%s fstype=%s error=%v", r.Name, fs, err)
			return esxError(err)
		}
	}
	if hasClone {
		if _, err := esxRequest("create", r.Name, opts); err != nil {
			errorf("Clone volume failed name=%s error=%v", r.Name, err)
			return esxError(err)
		}
		return map[string]interface{}{}
	}
	if _, err := esxRequest("create", r.Name, opts); err != nil {
		errorf("Create volume failed name=%s error=%v", r.Name, err)
		return esxError(err)
	}
	infof("Attaching volume and creating filesystem name=%s fstype=%s", r.Name, opts[optFstype])
	if _, err := esxRequest("attach", r.Name, nil); err != nil {
		errorf("Attach volume failed, removing the volume name=%s error=%v", r.Name, err)
		esxRequest("remove", r.Name, nil)
		return esxError(err)
	}
	v, err := localVolPath(r.Name)
	if err == nil {
		// thick formats: keep the flat file allocated (mke2fs would punch holes in a regular file)
		thick := opts[optDiskFormat] != "" && opts[optDiskFormat] != "thin"
		err = mkfs(opts[optFstype], r.Name, v.flatPath(), thick)
	}
	if err != nil {
		errorf("Create filesystem failed, removing the volume name=%s error=%v", r.Name, err)
		esxRequest("detach", r.Name, nil)
		esxRequest("remove", r.Name, nil)
		return esxError(err)
	}
	if _, err := esxRequest("detach", r.Name, nil); err != nil {
		errorf("Detach volume failed name=%s error=%v", r.Name, err)
		return esxError(err)
	}
	infof("Volume and filesystem created name=%s fstype=%s", r.Name, opts[optFstype])
	return map[string]interface{}{}
}

// localVolPath resolves a volume name to its files (after a successful ESX call).
func localVolPath(name string) (*volPath, error) {
	// the datastores this plugin sees, so vol@DATASTORE1 finds datastore1's files (parse_vol_name)
	vol, ds, err := parseVolName(name, datastoreDirs())
	if err != nil {
		return nil, err
	}
	if ds == "" {
		ds = cfg.Lab.DefaultDatastore
		if _, vm, err := dockerVM(ctxBG()); err == nil && vm.dsName != "" {
			ds = vm.dsName
		}
	}
	return &volPath{vol: vol, datastore: ds}, nil
}

func mkfs(fstype, label, device string, thick bool) error {
	tool := mkfsLookup()[fstype]
	var out []byte
	var err error
	if strings.HasPrefix(fstype, "ext") && thick {
		out, err = exec.Command(tool, "-F", "-E", "nodiscard", "-L", label, device).CombinedOutput()
	} else if strings.HasPrefix(fstype, "ext") {
		out, err = exec.Command(tool, "-F", "-L", label, device).CombinedOutput()
	} else {
		out, err = exec.Command(tool, "-L", label, device).CombinedOutput()
	}
	if err != nil {
		return fmt.Errorf("Failed to create filesystem on %s: %s. Output = %s", device, err, out)
	}
	return nil
}

func (d *driver) Remove(r pluginRequest) map[string]interface{} {
	infof("Removing volume name=%s", r.Name)
	d.mu.Lock()
	n := d.refCounts[r.Name]
	d.mu.Unlock()
	if n != 0 {
		msg := fmt.Sprintf("Remove failure - volume is still mounted.  volume=%s, refcount=%d", r.Name, n)
		errorf(msg)
		return map[string]interface{}{"Err": msg}
	}
	if _, err := esxRequest("remove", r.Name, r.Opts); err != nil {
		errorf("Failed to remove volume name=%s error=%v", r.Name, err)
		return esxError(err)
	}
	return map[string]interface{}{}
}

func (d *driver) Path(r pluginRequest) map[string]interface{} {
	return map[string]interface{}{"Mountpoint": getMountPoint(r.Name)}
}

func (d *driver) Get(r pluginRequest) map[string]interface{} {
	res, err := esxRequest("get", r.Name, nil)
	if err != nil {
		return esxError(err)
	}
	status, _ := res.(map[string]interface{})
	return map[string]interface{}{"Volume": volumeJSON{Name: r.Name, Mountpoint: getMountPoint(r.Name), Status: status}}
}

func (d *driver) List(r pluginRequest) map[string]interface{} {
	res, err := esxRequest("list", "", nil)
	if err != nil {
		return esxError(err)
	}
	vols := []volumeJSON{}
	if l, ok := res.([]map[string]interface{}); ok {
		for _, v := range l {
			name, _ := v["Name"].(string)
			vols = append(vols, volumeJSON{Name: name, Mountpoint: getMountPoint(name)})
		}
	}
	return map[string]interface{}{"Volumes": vols}
}

func (d *driver) Mount(r pluginRequest) map[string]interface{} {
	infof("Mounting volume name=%s", r.Name)
	d.mu.Lock()
	defer d.mu.Unlock()
	name := r.Name
	var meta map[string]interface{}
	if !strings.Contains(name, "@") {
		res, err := esxRequest("get", name, nil)
		if err != nil {
			errorf("Unable to get volume info for volume %s. err:%v", name, err)
			return esxError(err)
		}
		meta, _ = res.(map[string]interface{})
		ds, _ := meta["datastore"].(string)
		if ds == "" { // no metadata (a VMDK without its sidecar): vDVS would panic here
			if v, err := localVolPath(name); err == nil {
				ds = v.datastore
			}
		}
		name = name + "@" + ds
	}
	d.idToName[r.ID] = name
	d.refCounts[name]++
	if d.refCounts[name] > 1 || mountedVolumes()[name] {
		infof("Already mounted, skipping mount. name=%s refcount=%d", name, d.refCounts[name])
		return map[string]interface{}{"Mountpoint": getMountPoint(name)}
	}
	if meta == nil {
		res, err := esxRequest("get", name, nil)
		if err != nil {
			d.refCounts[name]--
			return esxError(err)
		}
		meta, _ = res.(map[string]interface{})
	}
	readOnly := meta[optAccess] == "read-only"
	fstype, ok := meta[optFstype].(string)
	if !ok {
		errorf("Invalid filesystem type for %s, assuming type as %s.", name, defaultFstype)
		fstype = defaultFstype
	}
	mp := getMountPoint(name)
	if err := os.MkdirAll(mp, 0755); err != nil {
		d.refCounts[name]--
		return esxError(err)
	}
	if _, err := esxRequest("attach", name, nil); err != nil {
		errorf("Attach volume failed name=%s error=%v", name, err)
		d.refCounts[name]--
		return esxError(err)
	}
	v, err := localVolPath(name)
	if err == nil {
		err = loopMount(v.flatPath(), mp, fstype, readOnly)
	}
	if err != nil {
		errorf("Failed to mount name=%s error=%v", name, err)
		d.refCounts[name]--
		if d.refCounts[name] == 0 {
			infof("Detaching %s - it is not used anymore", name)
			esxRequest("detach", name, nil)
		}
		return esxError(err)
	}
	return map[string]interface{}{"Mountpoint": mp}
}

func (d *driver) Unmount(r pluginRequest) map[string]interface{} {
	infof("Unmounting Volume name=%s", r.Name)
	d.mu.Lock()
	defer d.mu.Unlock()
	name := r.Name
	if n, ok := d.idToName[r.ID]; ok {
		name = n
		delete(d.idToName, r.ID)
	} else if !strings.Contains(name, "@") {
		if v, err := localVolPath(name); err == nil {
			name = v.fullName()
		}
	}
	if d.refCounts[name] > 0 {
		d.refCounts[name]--
	}
	if d.refCounts[name] > 0 {
		infof("Still in use, skipping unmount request. name=%s refcount=%d", name, d.refCounts[name])
		return map[string]interface{}{}
	}
	delete(d.refCounts, name)
	mp := getMountPoint(name)
	if err := syscall.Unmount(mp, 0); err != nil {
		errorf("Failed to unmount volume. Now trying to detach... mountpoint=%s error=Unmount device at %s failed: %s", mp, mp, err)
	}
	os.Remove(mp)
	if _, err := esxRequest("detach", name, nil); err != nil {
		return esxError(err)
	}
	return map[string]interface{}{}
}

// ---- loop devices ----

const (
	loopSetFd       = 0x4C00
	loopClrFd       = 0x4C01
	loopSetStatus64 = 0x4C04
	loopCtlGetFree  = 0x4C82
	loFlagsReadOnly = 1
	loFlagsAutoclr  = 4
)

type loopInfo64 struct {
	Device, Inode, Rdevice, Offset, Sizelimit  uint64
	Number, EncryptType, EncryptKeySize, Flags uint32
	FileName                                   [64]byte
	CryptName                                  [64]byte
	EncryptKey                                 [32]byte
	Init                                       [2]uint64
}

func ioctl(fd, req, arg uintptr) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, req, arg); e != 0 {
		return e
	}
	return nil
}

// loopMount attaches file to a free loop device (autoclear) and mounts it.
func loopMount(file, mp, fstype string, readOnly bool) error {
	flag := os.O_RDWR
	if readOnly {
		flag = os.O_RDONLY
	}
	back, err := os.OpenFile(file, flag, 0)
	if err != nil {
		return fmt.Errorf("Device not found")
	}
	defer back.Close()
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("Failed to open /dev/loop-control: %v", err)
	}
	defer ctl.Close()
	for attempt := 0; attempt < 10; attempt++ {
		n, _, e := syscall.Syscall(syscall.SYS_IOCTL, ctl.Fd(), loopCtlGetFree, 0)
		if e != 0 {
			return fmt.Errorf("LOOP_CTL_GET_FREE: %v", e)
		}
		dev := fmt.Sprintf("/dev/loop%d", n)
		if _, err := os.Stat(dev); os.IsNotExist(err) {
			syscall.Mknod(dev, syscall.S_IFBLK|0660, int((7<<8)|(n&0xff)|((n&^0xff)<<12)))
		}
		lf, err := os.OpenFile(dev, flag, 0)
		if err != nil {
			return fmt.Errorf("open %s: %v", dev, err)
		}
		if err := ioctl(lf.Fd(), loopSetFd, back.Fd()); err != nil {
			lf.Close()
			if err == syscall.EBUSY {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			return fmt.Errorf("LOOP_SET_FD %s: %v", dev, err)
		}
		var info loopInfo64
		copy(info.FileName[:], file)
		info.Flags = loFlagsAutoclr
		if readOnly {
			info.Flags |= loFlagsReadOnly
		}
		if err := ioctl(lf.Fd(), loopSetStatus64, uintptr(unsafe.Pointer(&info))); err != nil {
			ioctl(lf.Fd(), loopClrFd, 0)
			lf.Close()
			return fmt.Errorf("LOOP_SET_STATUS64 %s: %v", dev, err)
		}
		var mflags uintptr
		if readOnly {
			mflags = syscall.MS_RDONLY
		}
		err = syscall.Mount(dev, mp, fstype, mflags, "")
		if err != nil {
			ioctl(lf.Fd(), loopClrFd, 0)
			lf.Close()
			return fmt.Errorf("Failed to mount device %s at %s: %s", dev, mp, err)
		}
		lf.Close() // autoclear: the device goes away with the last umount
		infof("Mounted %s (%s) at %s ro=%v", file, dev, mp, readOnly)
		return nil
	}
	return errors.New("no free loop device")
}
