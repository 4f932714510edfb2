// vsphere-storage-for-docker (lab stand-in)
//
// A stand-in for the vSphere Docker Volume Service (vDVS) managed plugin,
// for the local lab of the "vSphere Docker Volumes" VS Code extension.
// NOT the VMware plugin: it implements the same Docker volume plugin
// protocol, the same option/name validation, defaults and error texts as
// vDVS 0.21 (client_plugin/ + esx_service/vmdk_ops.py), but instead of
// talking to the ESXi service over vSocket it:
//
//   - keeps the VMDKs in /vmfs/volumes/<ds>/dockvols/<tenant-uuid>/ (the lab
//     datastore directory, bind-mounted into the plugin),
//   - writes a VMDK descriptor, a sparse flat file formatted with mke2fs,
//     and the vDVS metadata sidecar (<name>-<hex>.vmfd, key docker-volume-vsphere),
//   - attaches/detaches the disk to the Docker host VM in vcsim (ReconfigVM),
//   - loop-mounts the flat file under /mnt/vmdk/<vol@ds>,
//   - fails like a Docker host whose ESXi has no VIB (errno=104) when the lab's
//     ESXi-shell state says the VIB is not installed, and like a stopped
//     hostd while hostd restarts.
//
// Build (static, stdlib + Debian's govmomi):
//
//	CGO_ENABLED=0 GO111MODULE=off GOPATH=/usr/share/gocode go build -o vsphere-storage-for-docker .
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	defaultConfigPath = "/etc/vsphere-storage-for-docker.conf"
	defaultLogPath    = "/var/log/vsphere-storage-for-docker.log"
	mountRoot         = "/mnt/vmdk"
	pluginSockDir     = "/run/docker/plugins"
	driverVersion     = "vSphere Volume Driver v0.5"
)

// Config is the vDVS plugin configuration file (client_plugin/utils/config)
// plus a "Lab" section that the lab bakes into the plugin rootfs.
type Config struct {
	Driver         string `json:",omitempty"`
	InternalDriver string `json:",omitempty"`
	LogPath        string `json:",omitempty"`
	MaxLogSizeMb   int    `json:",omitempty"`
	MaxLogAgeDays  int    `json:",omitempty"`
	MaxLogFiles    int    `json:",omitempty"`
	LogLevel       string `json:",omitempty"`
	GroupID        string `json:",omitempty"`
	Lab            LabConfig
}

// LabConfig says where the simulated ESXi lives.
type LabConfig struct {
	VsphereURL       string // https://127.0.0.1:18989/sdk
	User             string
	Password         string
	Thumbprint       string // SHA-1 or SHA-256 colon-hex of the vcsim certificate
	VMName           string // the Docker host VM: docker-host-01
	DefaultDatastore string // fallback when the VM's datastore cannot be read
	VolumesRoot      string // /vmfs/volumes (inside the plugin)
	EsxStateDir      string // the ESXi-shell stand-in's state dir, mounted into the plugin
	EsxStateFile     string // relative: vmdkops.state (vib=installed|absent, service=running|stopped, since=<epoch>)
	EsxHostdAwayFile string // relative: hostd.away-until (<epoch>: hostd is down before it)
	EsxRetries       int    // vSocket retries before reporting errno=104 (vDVS: 5)
	EsxRetrySleepMs  int    // sleep between retries (vDVS: 1000)
	Version          string // fallback for VDVS_VERSION
}

var (
	cfg      Config
	logMu    sync.Mutex
	logFile  *os.File
	logLevel = 1 // 0 debug, 1 info, 2 warn, 3 error
)

func levelOf(s string) int {
	switch strings.ToLower(s) {
	case "debug":
		return 0
	case "warn", "warning":
		return 2
	case "error":
		return 3
	}
	return 1
}

func logf(level int, format string, args ...interface{}) {
	if level < logLevel {
		return
	}
	names := []string{"DEBUG", "INFO", "WARNING", "ERROR"}
	line := fmt.Sprintf("%s [%s] %s\n", time.Now().UTC().Format("2006-01-02 15:04:05.000000000 -0700 MST"),
		names[level], fmt.Sprintf(format, args...))
	logMu.Lock()
	defer logMu.Unlock()
	os.Stderr.WriteString(line)
	if logFile != nil {
		logFile.WriteString(line)
	}
}

func debugf(f string, a ...interface{}) { logf(0, f, a...) }
func infof(f string, a ...interface{})  { logf(1, f, a...) }
func warnf(f string, a ...interface{})  { logf(2, f, a...) }
func errorf(f string, a ...interface{}) { logf(3, f, a...) }

func loadConfig(path string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	err = json.Unmarshal(b, &c)
	return c, err
}

// version is the one baked into the plugin image (the config file in the rootfs):
// docker plugin upgrade keeps the old VDVS_VERSION setting, the rootfs is the new one.
func version() string {
	if cfg.Lab.Version != "" {
		return cfg.Lab.Version
	}
	return os.Getenv("VDVS_VERSION")
}

func main() {
	// the same binary is the lab ESXi shell's vmdkops_admin.py (admin.go)
	if len(os.Args) > 1 && os.Args[1] == "admin" {
		os.Exit(adminMain(os.Args[2:]))
	}
	// ENV takes precedence over the command line, as in vDVS.
	logEnv := os.Getenv("VDVS_LOG_LEVEL")
	logLevelFlag := flag.String("log_level", "", "Logging Level")
	configFile := flag.String("config", defaultConfigPath, "Configuration file path")
	driverName := flag.String("driver", "", "Volume driver")
	groupID := flag.String("group", "", "Plugin socket group id")
	flag.Parse()

	var err error
	cfg, err = loadConfig(*configFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Failed to load config file %s: %v\n", *configFile, err)
	}
	lvl := logEnv
	if lvl == "" {
		lvl = *logLevelFlag
	}
	if lvl == "" {
		lvl = cfg.LogLevel
	}
	if lvl == "" {
		lvl = "info"
	}
	logLevel = levelOf(lvl)
	path := cfg.LogPath
	if path == "" {
		path = defaultLogPath
	}
	os.MkdirAll(filepath.Dir(path), 0755)
	logFile, _ = os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0644)

	if *driverName != "" {
		cfg.Driver = *driverName
	} else if cfg.Driver == "" {
		cfg.Driver = "vsphere"
	}
	envGid := os.Getenv("VDVS_SOCKET_GID")
	if *groupID != "" {
		cfg.GroupID = *groupID
	} else if envGid != "" {
		cfg.GroupID = envGid
	} else if cfg.GroupID == "" {
		cfg.GroupID = "root"
	}
	if cfg.Lab.VolumesRoot == "" {
		cfg.Lab.VolumesRoot = "/vmfs/volumes"
	}
	if cfg.Lab.VMName == "" {
		cfg.Lab.VMName = "docker-host-01"
	}
	if cfg.Lab.DefaultDatastore == "" {
		cfg.Lab.DefaultDatastore = "datastore1"
	}
	if cfg.Lab.EsxRetrySleepMs == 0 {
		cfg.Lab.EsxRetrySleepMs = 1000
	}
	if cfg.Lab.EsxRetries == 0 {
		cfg.Lab.EsxRetries = 5
	}
	infof("Starting plugin driver=%s log_level=%s config=%s group=%s", cfg.Driver, lvl, *configFile, cfg.GroupID)
	infof("Docker VMDK plugin started version=\"%s\" vdvs_version=%s VDVS_VERSION=%s port=1019 mock_esx=false lab=true", driverVersion, version(), os.Getenv("VDVS_VERSION"))

	d := newDriver()
	d.initRefCounts()

	sock := filepath.Join(pluginSockDir, cfg.Driver+".sock")
	os.MkdirAll(pluginSockDir, 0755)
	os.Remove(sock)
	l, err := net.Listen("unix", sock)
	if err != nil {
		errorf("Failed to listen on %s: %v", sock, err)
		os.Exit(1)
	}
	if gid := lookupGroup(cfg.GroupID); gid >= 0 {
		os.Chown(sock, 0, gid)
	}
	infof("Going into ServeUnix - Listening on Unix socket address=%s", sock)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sig
		warnf("Received signal %v, exiting", s)
		l.Close()
		os.Remove(sock)
		os.Exit(0)
	}()
	srv := &http.Server{Handler: d.mux()}
	if err := srv.Serve(l); err != nil {
		warnf("serve: %v", err)
	}
}

func lookupGroup(g string) int {
	if n, err := strconv.Atoi(g); err == nil {
		return n
	}
	if g == "root" {
		return 0
	}
	b, err := os.ReadFile("/etc/group")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 3 && f[0] == g {
			if n, err := strconv.Atoi(f[2]); err == nil {
				return n
			}
		}
	}
	warnf("Group %s not found, socket stays root-owned", g)
	return -1
}

// ---- Docker volume plugin protocol ----

type pluginRequest struct {
	Name    string
	Opts    map[string]string
	ID      string
	Options map[string]string
}

type volumeJSON struct {
	Name       string                 `json:"Name"`
	Mountpoint string                 `json:"Mountpoint,omitempty"`
	Status     map[string]interface{} `json:"Status,omitempty"`
}

func writeJSON(w http.ResponseWriter, v interface{}) {
	w.Header().Set("Content-Type", "application/vnd.docker.plugins.v1.1+json")
	json.NewEncoder(w).Encode(v)
}

func (d *driver) mux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("/Plugin.Activate", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]interface{}{"Implements": []string{"VolumeDriver"}})
	})
	handle := func(path string, fn func(req pluginRequest) map[string]interface{}) {
		m.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			var req pluginRequest
			body, _ := io.ReadAll(r.Body)
			if len(body) > 0 {
				if err := json.Unmarshal(body, &req); err != nil {
					writeJSON(w, map[string]interface{}{"Err": "Failed to parse request: " + err.Error()})
					return
				}
			}
			if req.Opts == nil {
				req.Opts = req.Options
			}
			debugf("%s request=%s", path, string(body))
			resp := fn(req)
			if _, ok := resp["Err"]; !ok {
				resp["Err"] = ""
			}
			// as docker/go-plugins-helpers (sdk.EncodeResponse): an error is an HTTP 500,
			// which the Engine reports as "VolumeDriver.<Method>: <Err>"
			if e, _ := resp["Err"].(string); e != "" {
				w.Header().Set("Content-Type", "application/vnd.docker.plugins.v1.1+json")
				w.WriteHeader(http.StatusInternalServerError)
				json.NewEncoder(w).Encode(resp)
				return
			}
			writeJSON(w, resp)
		})
	}
	handle("/VolumeDriver.Create", d.Create)
	handle("/VolumeDriver.Remove", d.Remove)
	handle("/VolumeDriver.Mount", d.Mount)
	handle("/VolumeDriver.Unmount", d.Unmount)
	handle("/VolumeDriver.Path", d.Path)
	handle("/VolumeDriver.Get", d.Get)
	handle("/VolumeDriver.List", d.List)
	handle("/VolumeDriver.Capabilities", func(pluginRequest) map[string]interface{} {
		return map[string]interface{}{"Capabilities": map[string]string{"Scope": "global"}}
	})
	return m
}
