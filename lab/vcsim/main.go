// vcsim-lab: the vSphere piece of the vDVS local lab.
//
// A small main around govmomi's simulator (vcsim) from Debian's
// golang-github-vmware-govmomi-dev. One process serves one model:
//
//	-model esx  a standalone ESXi host (ha-datacenter / ha-host)
//	-model vpx  a vCenter (DC0, cluster DC0_C0 with hosts)
//
// Both get a datastore "datastore1" backed by -datastore-dir and a powered-on
// VM "docker-host-01" whose files live on datastore1 and that has a
// paravirtual SCSI controller with free unit numbers.
//
// Credentials are enforced (fresh url.UserPassword), TLS is on with a
// self-signed certificate that is generated once (-cert/-key files) and then
// reused, so the thumbprint stays the same for the lab directory.
// When ready it writes a JSON description to -ready-file and serves until
// SIGTERM/SIGINT.
//
// Build: GO111MODULE=off GOPATH=/usr/share/gocode go build -o vcsim-lab ./lab/vcsim
package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io/ioutil"
	"log"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/esx"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

type readyInfo struct {
	Model         string   `json:"model"`
	URL           string   `json:"url"`
	Datacenter    string   `json:"datacenter"`
	Datastore     string   `json:"datastore"`
	DatastorePath string   `json:"datastorePath"`
	DatastoreRef  string   `json:"datastoreRef"`
	VM            string   `json:"vm"`
	VMRef         string   `json:"vmRef"`
	VMPath        string   `json:"vmPathName"`
	HostName      string   `json:"hostName"`
	HostRef       string   `json:"hostRef"`
	Hosts         []string `json:"hosts"`
	Thumbprint    string   `json:"thumbprint"`
	PID           int      `json:"pid"`
}

func main() {
	model := flag.String("model", "esx", "esx or vpx")
	listen := flag.String("listen", "127.0.0.1:18989", "host:port to listen on")
	user := flag.String("user", "root", "login user")
	password := flag.String("password", "", "login password (required)")
	certFile := flag.String("cert", "", "PEM certificate file (generated when missing)")
	keyFile := flag.String("key", "", "PEM key file (generated when missing)")
	dsName := flag.String("datastore", "datastore1", "datastore name")
	dsDir := flag.String("datastore-dir", "", "directory backing the datastore (required)")
	vmName := flag.String("vm", "docker-host-01", "Docker host VM name")
	vmIP := flag.String("vm-ip", "127.0.0.1", "guest IP address reported for the VM")
	readyFile := flag.String("ready-file", "", "write JSON info here when serving")
	flag.Parse()

	if *password == "" || *dsDir == "" || *certFile == "" || *keyFile == "" {
		log.Fatal("-password, -datastore-dir, -cert and -key are required")
	}

	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		log.Fatal(err)
	}
	cert, err := loadOrCreateCert(*certFile, *keyFile, host)
	if err != nil {
		log.Fatalf("certificate: %v", err)
	}

	var m *simulator.Model
	switch *model {
	case "esx":
		m = simulator.ESX()
	case "vpx":
		m = simulator.VPX()
		m.Portgroup = 0
		m.Host = 0
		m.Cluster = 1
		m.ClusterHost = 2
	default:
		log.Fatalf("unknown -model %q", *model)
	}
	m.Datastore = 0 // no temp-dir LocalDS_0: we add datastore1 ourselves
	m.Machine = 0
	m.Autostart = true

	if err := m.Create(); err != nil {
		log.Fatalf("model: %v", err)
	}

	ctx := context.Background()
	c, err := vim25.NewClient(ctx, m.Service)
	if err != nil {
		log.Fatal(err)
	}

	info, err := populate(ctx, c, *model, *dsName, *dsDir, *vmName, *vmIP)
	if err != nil {
		log.Fatalf("populate: %v", err)
	}

	m.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*user, *password)}
	m.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	abs, err := filepath.Abs(*dsDir)
	if err != nil {
		log.Fatal(err)
	}
	consolidateLeftovers(abs)
	s := m.Service.NewServer()
	// Before any client can know the port (the ready file is written below): ESXi's snapshots of disks.
	s.Config.Handler = newSnapshotDisks(*dsName, abs).wrap(s.Config.Handler)

	sum := sha256.Sum256(cert.Certificate[0])
	hexes := make([]string, len(sum))
	for i, b := range sum {
		hexes[i] = fmt.Sprintf("%02X", b)
	}
	u := *s.URL
	u.User = nil
	info.URL = u.String()
	info.Model = *model
	info.Thumbprint = strings.Join(hexes, ":")
	info.PID = os.Getpid()

	out, _ := json.MarshalIndent(info, "", "  ")
	log.Printf("vcsim-lab %s serving %s\n%s", *model, info.URL, out)
	if *readyFile != "" {
		tmp := *readyFile + ".tmp"
		if err := ioutil.WriteFile(tmp, out, 0600); err != nil {
			log.Fatal(err)
		}
		if err := os.Rename(tmp, *readyFile); err != nil {
			log.Fatal(err)
		}
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	got := <-sig
	log.Printf("vcsim-lab: %v, shutting down", got)
	go func() { time.Sleep(3 * time.Second); os.Exit(0) }()
	s.Close()
}

func populate(ctx context.Context, c *vim25.Client, model, dsName, dsDir, vmName, vmIP string) (*readyInfo, error) {
	info := &readyInfo{Datastore: dsName, VM: vmName}
	finder := find.NewFinder(c, false)

	dc, err := finder.DefaultDatacenter(ctx)
	if err != nil {
		return nil, err
	}
	finder.SetDatacenter(dc)
	info.Datacenter = dc.Name()

	hosts, err := finder.HostSystemList(ctx, "*")
	if err != nil {
		return nil, err
	}

	abs, err := filepath.Abs(dsDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0755); err != nil {
		return nil, err
	}
	info.DatastorePath = abs

	var dsRef types.ManagedObjectReference
	for _, h := range hosts {
		info.Hosts = append(info.Hosts, h.Name())
		dss, err := h.ConfigManager().DatastoreSystem(ctx)
		if err != nil {
			return nil, err
		}
		ds, err := dss.CreateLocalDatastore(ctx, dsName, abs)
		if err != nil {
			return nil, fmt.Errorf("CreateLocalDatastore on %s: %v", h.Name(), err)
		}
		dsRef = ds.Reference()
	}
	info.DatastoreRef = dsRef.Value

	// The VM lives on the first host; its directory is simulator state, so
	// start from a clean one (dockvols and everything else are kept).
	host := hosts[0]
	info.HostName = host.Name()
	info.HostRef = host.Reference().Value
	_ = os.RemoveAll(filepath.Join(abs, vmName))

	pool, err := host.ResourcePool(ctx)
	if err != nil {
		return nil, err
	}
	folders, err := dc.Folders(ctx)
	if err != nil {
		return nil, err
	}

	var devices object.VirtualDeviceList
	scsi, err := devices.CreateSCSIController("pvscsi")
	if err != nil {
		return nil, err
	}
	devices = append(devices, scsi)
	disk := devices.CreateDisk(scsi.(types.BaseVirtualController), dsRef,
		fmt.Sprintf("[%s] %s/%s.vmdk", dsName, vmName, vmName))
	disk.CapacityInKB = 16 * 1024 * 1024
	devices.AssignController(disk, scsi.(types.BaseVirtualController)) // unit 0
	devices = append(devices, disk)
	nic := esx.EthernetCard
	nic.Backing = &types.VirtualEthernetCardNetworkBackingInfo{
		VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: "VM Network"},
	}
	if model == "vpx" {
		nic.Backing = esx.EthernetCard.Backing
	}
	devices = append(devices, &nic)

	spec := types.VirtualMachineConfigSpec{
		Name:       vmName,
		GuestId:    string(types.VirtualMachineGuestOsIdentifierOtherLinux64Guest),
		NumCPUs:    2,
		MemoryMB:   4096,
		Files:      &types.VirtualMachineFileInfo{VmPathName: fmt.Sprintf("[%s]", dsName)},
		Annotation: "vDVS lab Docker host VM (simulated by vcsim)",
	}
	spec.DeviceChange, err = devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
	if err != nil {
		return nil, err
	}
	for _, dc := range spec.DeviceChange {
		if _, ok := dc.GetVirtualDeviceConfigSpec().Device.(*types.VirtualDisk); ok {
			dc.GetVirtualDeviceConfigSpec().FileOperation = types.VirtualDeviceConfigSpecFileOperationCreate
		}
	}

	task, err := folders.VmFolder.CreateVM(ctx, spec, pool, host)
	if err != nil {
		return nil, err
	}
	res, err := task.WaitForResult(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("CreateVM: %v", err)
	}
	vm := object.NewVirtualMachine(c, res.Result.(types.ManagedObjectReference))
	info.VMRef = vm.Reference().Value

	if t, err := vm.PowerOn(ctx); err == nil {
		_ = t.Wait(ctx)
	}

	// Guest identity as VMware Tools would report it.
	t, err := vm.Reconfigure(ctx, types.VirtualMachineConfigSpec{ExtraConfig: []types.BaseOptionValue{
		&types.OptionValue{Key: "SET.guest.hostName", Value: vmName},
		&types.OptionValue{Key: "SET.guest.ipAddress", Value: vmIP},
		&types.OptionValue{Key: "SET.guest.toolsRunningStatus", Value: string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)},
		&types.OptionValue{Key: "SET.guest.toolsStatus", Value: string(types.VirtualMachineToolsStatusToolsOk)},
	}})
	if err == nil {
		_ = t.Wait(ctx)
	}

	var mvm mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"config.files.vmPathName"}, &mvm); err == nil {
		info.VMPath = mvm.Config.Files.VmPathName
	}
	return info, nil
}

func loadOrCreateCert(certFile, keyFile, host string) (tls.Certificate, error) {
	if _, err := os.Stat(certFile); err == nil {
		if _, err := os.Stat(keyFile); err == nil {
			return tls.LoadX509KeyPair(certFile, keyFile)
		}
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:         "localhost.localdomain",
			Organization:       []string{"VMware, Inc. (vDVS lab, self-signed)"},
			OrganizationalUnit: []string{"vDVS lab"},
		},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(5, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost", "localhost.localdomain"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	if ip := net.ParseIP(host); ip != nil && !ip.Equal(net.ParseIP("127.0.0.1")) {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.MkdirAll(filepath.Dir(certFile), 0700); err != nil {
		return tls.Certificate{}, err
	}
	if err := ioutil.WriteFile(keyFile, keyPEM, 0600); err != nil {
		return tls.Certificate{}, err
	}
	if err := ioutil.WriteFile(certFile, certPEM, 0644); err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}
