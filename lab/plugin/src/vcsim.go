package main

// The ESXi host agent side: vcsim through govmomi. Attach and detach are
// ReconfigVM_Task calls on the Docker host VM, as in vmdk_ops.py disk_attach()
// and disk_detach(): a PVSCSI controller (added when none has a free unit),
// the lowest free unit number except 7, disk mode from "attach-as".

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type hostAgent struct {
	mu     sync.Mutex
	client *vim25.Client
}

var agent = &hostAgent{}

// errHostd marks "the host agent cannot be reached".
var errHostd = errors.New("Service is presently unavailable, ensure the ESXi Host Agent is running on this host")

func (h *hostAgent) get(ctx context.Context) (*vim25.Client, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.client != nil {
		// cheap liveness check (CurrentTime needs a valid session on vcsim)
		if _, err := methodsCurrentTime(ctx, h.client); err == nil {
			return h.client, nil
		}
		h.client = nil
	}
	u, err := soap.ParseURL(cfg.Lab.VsphereURL)
	if err != nil || u == nil {
		return nil, fmt.Errorf("bad vSphere URL %q: %v", cfg.Lab.VsphereURL, err)
	}
	// Pin the certificate by thumbprint (SHA-256 or SHA-1, colon-hex): govmomi 0.24's
	// SetThumbprint only knows SHA-1, so verify in the TLS config ourselves.
	sc := soap.NewClient(u, true)
	if want := normThumb(cfg.Lab.Thumbprint); want != "" {
		tr := sc.DefaultTransport()
		tr.TLSClientConfig.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("no certificate")
			}
			s256 := sha256.Sum256(raw[0])
			s1 := sha1.Sum(raw[0])
			if want == hex.EncodeToString(s256[:]) || want == hex.EncodeToString(s1[:]) {
				return nil
			}
			return fmt.Errorf("host %s thumbprint does not match %s", u.Host, cfg.Lab.Thumbprint)
		}
	}
	c, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, err
	}
	if err := session.NewManager(c).Login(ctx, url.UserPassword(cfg.Lab.User, cfg.Lab.Password)); err != nil {
		return nil, err
	}
	h.client = c
	return c, nil
}

func methodsCurrentTime(ctx context.Context, c *vim25.Client) (*time.Time, error) {
	// UserSession reads currentSession: nil once the session is gone.
	us, err := session.NewManager(c).UserSession(ctx)
	if err != nil {
		return nil, err
	}
	if us == nil {
		return nil, errors.New("not authenticated")
	}
	t := time.Now()
	return &t, nil
}

type vmInfo struct {
	obj  *object.VirtualMachine
	mo   mo.VirtualMachine
	name string
	// uuid is the BIOS UUID (config.uuid), instanceUUID the VC UUID (config.instanceUuid)
	uuid         string
	instanceUUID string
	dsName       string
	powered      bool
}

func (h *hostAgent) findVM(ctx context.Context, c *vim25.Client, name string) (*vmInfo, error) {
	m := view.NewManager(c)
	v, err := m.CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		return nil, err
	}
	defer v.Destroy(ctx)
	var vms []mo.VirtualMachine
	err = v.RetrieveWithFilter(ctx, []string{"VirtualMachine"}, []string{"name", "config", "runtime.powerState"}, &vms, property.Filter{"name": name})
	if err != nil || len(vms) == 0 {
		return nil, fmt.Errorf("VM %s not found: %v", name, err)
	}
	vm := vms[0]
	info := &vmInfo{obj: object.NewVirtualMachine(c, vm.Self), mo: vm, name: vm.Name}
	if vm.Config != nil {
		info.uuid = vm.Config.Uuid
		info.instanceUUID = vm.Config.InstanceUuid
		var p object.DatastorePath
		if p.FromString(vm.Config.Files.VmPathName) {
			info.dsName = p.Datastore
		}
	}
	info.powered = vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn
	return info, nil
}

// dockerVM returns the Docker host VM (the "requesting VM" of vmdk_ops.py).
func dockerVM(ctx context.Context) (*vim25.Client, *vmInfo, error) {
	c, err := agent.get(ctx)
	if err != nil {
		warnf("host agent: %v", err)
		return nil, nil, errHostd
	}
	vm, err := agent.findVM(ctx, c, cfg.Lab.VMName)
	if err != nil {
		return c, nil, err
	}
	return c, vm, nil
}

// dsPathOf gives "[ds] dockvols/<uuid>/<name>.vmdk" for a volume file.
func dsPathOf(v *volPath) string {
	return fmt.Sprintf("[%s] %s/%s/%s.vmdk", v.datastore, dockVolsDir, defaultTenantUUID, v.vol)
}

func sameDisk(fileName string, v *volPath) bool {
	want := []string{
		dsPathOf(v),
		fmt.Sprintf("[%s] %s/%s/%s.vmdk", v.datastore, dockVolsDir, defaultTenantName, v.vol),
		"[] " + v.vmdkPath(),
	}
	for _, w := range want {
		if fileName == w {
			return true
		}
	}
	return false
}

func findDevice(devices object.VirtualDeviceList, v *volPath) *types.VirtualDisk {
	for _, d := range devices.SelectByType((*types.VirtualDisk)(nil)) {
		disk := d.(*types.VirtualDisk)
		if b, ok := disk.Backing.(types.BaseVirtualDeviceFileBackingInfo); ok {
			if sameDisk(b.GetVirtualDeviceFileBackingInfo().FileName, v) {
				return disk
			}
		}
	}
	return nil
}

var pciSlotByBus = []string{"160", "224", "256", "1184"}

func pciSlot(c *types.ParaVirtualSCSIController) string {
	if c.SlotInfo != nil {
		if s, ok := c.SlotInfo.(*types.VirtualDevicePciBusSlotInfo); ok {
			return fmt.Sprint(s.PciSlotNumber)
		}
	}
	if int(c.BusNumber) < len(pciSlotByBus) {
		return pciSlotByBus[c.BusNumber]
	}
	return fmt.Sprint(160 + 32*c.BusNumber)
}

// defaultBridgeSlots are the pciBridgeN.pciSlotNumber values of a VMware VM's .vmx (virtual
// hardware 7+: pciBridge4..7 on slots 21..24), used when the VM's extraConfig does not carry them.
var defaultBridgeSlots = map[int]int{4: 21, 5: 22, 6: 23, 7: 24}

// pciBusNumber is the bus half of vmdk_ops.get_controller_pci_slot(): from a controller's slot,
// follow the PCI bridges down to the primary bus; "<bridge slot in hex>.<function>".
func pciBusNumber(vm *vmInfo, slot string) string {
	n, err := strconv.Atoi(slot)
	if err != nil {
		return ""
	}
	const busBits, busMask, funcBits, funcMask = 5, 31, 10, 7
	bus := (n >> busBits) & busMask
	fn := (n >> funcBits) & funcMask
	for bus > 0 {
		bus--
		bridge, ok := defaultBridgeSlots[bus]
		if vm != nil && vm.mo.Config != nil {
			for _, o := range vm.mo.Config.ExtraConfig {
				if ov := o.GetOptionValue(); strings.EqualFold(ov.Key, fmt.Sprintf("pciBridge%d.pciSlotNumber", bus)) {
					bridge, err = strconv.Atoi(fmt.Sprint(ov.Value))
					ok = err == nil
				}
			}
		}
		if !ok {
			return ""
		}
		n = bridge
		bus = (n >> busBits) & busMask
	}
	return fmt.Sprintf("%x.%d", n, fn)
}

// devInfo is vmdk_ops.dev_info(): unit, the controller's PCI slot and its bus number.
func devInfo(vm *vmInfo, unit int32, slot string) map[string]interface{} {
	return map[string]interface{}{"Unit": fmt.Sprint(unit), "ControllerPciSlotNumber": slot, "ControllerPciBusNumber": pciBusNumber(vm, slot)}
}

// vmNameByUUID is vmdk_ops.vm_uuid2name(): the VM found by its VC UUID, else by its BIOS UUID.
func vmNameByUUID(ctx context.Context, c *vim25.Client, uuid string) string {
	if c == nil || uuid == "" {
		return ""
	}
	si := object.NewSearchIndex(c)
	for _, instance := range []bool{true, false} {
		ref, err := si.FindByUuid(ctx, nil, uuid, true, &instance)
		if err != nil || ref == nil {
			continue
		}
		var vm mo.VirtualMachine
		if err := property.DefaultCollector(c).RetrieveOne(ctx, ref.Reference(), []string{"name"}, &vm); err == nil {
			return vm.Name
		}
	}
	return ""
}

// logAttachedVolume is vmdk_ops.log_attached_volume(): a warning, nothing refused.
func logAttachedVolume(ctx context.Context, c *vim25.Client, v *volPath, meta map[string]interface{}) {
	uuid := pyStr(meta[kvAttachedVMUUID])
	if name := vmNameByUUID(ctx, c, uuid); name != "" {
		warnf("Disk %s is already attached to VM %s", v.vmdkPath(), name)
	} else {
		warnf("Failed to find VM %s(%s), disk %s is already attached", pyStr(meta[kvAttachedVMName]), uuid, v.vmdkPath())
	}
}

// datastoreURL is vmdk_utils.get_datastore_url(): the datastore's info.url.
func datastoreURL(ctx context.Context, c *vim25.Client, name string) string {
	m := view.NewManager(c)
	v, err := m.CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"Datastore"}, true)
	if err != nil {
		return ""
	}
	defer v.Destroy(ctx)
	var ds []mo.Datastore
	if err := v.RetrieveWithFilter(ctx, []string{"Datastore"}, []string{"name", "info"}, &ds, property.Filter{"name": name}); err != nil || len(ds) == 0 {
		return ""
	}
	if info, ok := ds[0].Info.(*types.LocalDatastoreInfo); ok {
		return info.Url
	}
	if i, ok := ds[0].Info.(types.BaseDatastoreInfo); ok {
		return i.GetDatastoreInfo().Url
	}
	return ""
}

// diskAttach follows vmdk_ops.py disk_attach().
func diskAttach(ctx context.Context, v *volPath, vm *vmInfo, meta map[string]interface{}, capacityKB int64) (map[string]interface{}, error) {
	attachMode := defaultAttachAs
	if o, ok := meta[kvVolOpts].(map[string]interface{}); ok {
		if s, ok := o[optAttachAs].(string); ok {
			attachMode = s
		}
	}
	infof("Attaching %s as %s", v.vmdkPath(), attachMode)
	devices := object.VirtualDeviceList(vm.mo.Config.Hardware.Device)
	if d := findDevice(devices, v); d != nil {
		warnf("Disk %s already attached. VM=%s", v.vmdkPath(), vm.uuid)
		for _, c := range devices.SelectByType((*types.ParaVirtualSCSIController)(nil)) {
			pc := c.(*types.ParaVirtualSCSIController)
			if pc.Key == d.ControllerKey {
				return devInfo(vm, *d.UnitNumber, pciSlot(pc)), nil
			}
		}
		return devInfo(vm, *d.UnitNumber, ""), nil
	}
	controllers := devices.Select(func(d types.BaseVirtualDevice) bool {
		_, ok := d.(types.BaseVirtualSCSIController)
		return ok
	})
	var ctrl *types.ParaVirtualSCSIController
	var unit int32 = -1
	for _, c := range devices.SelectByType((*types.ParaVirtualSCSIController)(nil)) {
		pc := c.(*types.ParaVirtualSCSIController)
		taken := map[int32]bool{7: true}
		for _, d := range devices.SelectByType((*types.VirtualDisk)(nil)) {
			vd := d.(*types.VirtualDisk)
			if vd.ControllerKey == pc.Key && vd.UnitNumber != nil {
				taken[*vd.UnitNumber] = true
			}
		}
		for u := int32(0); u < 16; u++ {
			if !taken[u] {
				unit = u
				break
			}
		}
		if unit >= 0 {
			ctrl = pc
			break
		}
	}
	if ctrl == nil {
		if len(controllers) >= 4 {
			msg := "Failed to place new disk - The maximum number of supported volumes has been reached."
			errorf("%s VM=%s", msg, vm.uuid)
			return nil, errors.New(msg)
		}
		infof("Adding a PVSCSI controller")
		taken := map[int32]bool{}
		for _, c := range controllers {
			taken[c.(types.BaseVirtualSCSIController).GetVirtualSCSIController().BusNumber] = true
		}
		var bus int32
		for bus = 0; bus < 4 && taken[bus]; bus++ {
		}
		nc := &types.ParaVirtualSCSIController{VirtualSCSIController: types.VirtualSCSIController{
			SharedBus:         types.VirtualSCSISharingNoSharing,
			VirtualController: types.VirtualController{BusNumber: bus, VirtualDevice: types.VirtualDevice{Key: 1000 + bus}},
		}}
		spec := types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{
			&types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: nc},
		}}
		if err := reconfigure(ctx, vm, spec); err != nil {
			return nil, fmt.Errorf("Failed to add PVSCSI Controller: %s", err)
		}
		var cur mo.VirtualMachine
		if err := vm.obj.Properties(ctx, vm.obj.Reference(), []string{"config"}, &cur); err != nil {
			return nil, err
		}
		vm.mo.Config = cur.Config
		for _, c := range object.VirtualDeviceList(cur.Config.Hardware.Device).SelectByType((*types.ParaVirtualSCSIController)(nil)) {
			pc := c.(*types.ParaVirtualSCSIController)
			if pc.BusNumber == bus {
				ctrl = pc
			}
		}
		if ctrl == nil {
			return nil, errors.New("Failed to add PVSCSI Controller")
		}
		unit = 0
	}
	unitNumber := unit
	disk := &types.VirtualDisk{
		VirtualDevice: types.VirtualDevice{
			Key:           -100,
			ControllerKey: ctrl.Key,
			UnitNumber:    &unitNumber,
			DeviceInfo:    &types.Description{Label: "dockerDataVolume", Summary: "dockerDataVolume"},
			Backing: &types.VirtualDiskFlatVer2BackingInfo{
				VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{FileName: dsPathOf(v)},
				DiskMode:                     attachMode,
			},
		},
		CapacityInKB: capacityKB,
	}
	spec := types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{
		&types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: disk},
	}}
	if err := reconfigure(ctx, vm, spec); err != nil {
		return nil, err
	}
	info := devInfo(vm, unit, pciSlot(ctrl))
	infof("Disk %s successfully attached. controller pci_slot_number=%s, disk_slot=%d", v.vmdkPath(), pciSlot(ctrl), unit)
	return info, nil
}

func diskDetach(ctx context.Context, v *volPath, vm *vmInfo) error {
	devices := object.VirtualDeviceList(vm.mo.Config.Hardware.Device)
	d := findDevice(devices, v)
	if d == nil {
		warnf("*** Detach disk=%s not found. VM=%s", v.vmdkPath(), vm.uuid)
		return nil
	}
	spec := types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{
		&types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationRemove, Device: d},
	}}
	if err := reconfigure(ctx, vm, spec); err != nil {
		return fmt.Errorf("Failed to detach %s: %s", v.vmdkPath(), err)
	}
	infof("Disk detached %s", v.vmdkPath())
	return nil
}

func reconfigure(ctx context.Context, vm *vmInfo, spec types.VirtualMachineConfigSpec) error {
	task, err := vm.obj.Reconfigure(ctx, spec)
	if err != nil {
		return err
	}
	if err := task.Wait(ctx); err != nil {
		msg := err.Error()
		msg = strings.TrimPrefix(msg, "ServerFaultCode: ")
		return errors.New(msg)
	}
	return nil
}

// knownDatastores lists the datastores of the host (for "Invalid datastore").
func knownDatastores(ctx context.Context, c *vim25.Client) []string {
	m := view.NewManager(c)
	v, err := m.CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"Datastore"}, true)
	if err != nil {
		return nil
	}
	defer v.Destroy(ctx)
	var ds []mo.Datastore
	if err := v.Retrieve(ctx, []string{"Datastore"}, []string{"name"}, &ds); err != nil {
		return nil
	}
	names := []string{}
	for _, d := range ds {
		names = append(names, d.Name)
	}
	return names
}

func ctxBG() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	time.AfterFunc(31*time.Second, cancel)
	return ctx
}

func normThumb(t string) string {
	return strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(t))
}
