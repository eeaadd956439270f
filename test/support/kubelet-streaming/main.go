// kubelet-streaming — the harness node's kubelet streaming endpoint, built on Kubernetes' own server
// code (k8s.io/kubelet/pkg/cri/streaming/remotecommand, the package the kubelet's CRI streaming
// server uses). The real kube-apiserver proxies `pods/exec` to it exactly as to a kubelet.
//
//	kubelet-streaming pki DIR
//	    writes a CA (ca.crt, ca.key), the kubelet serving certificate (kubelet.crt, kubelet.key: IP SAN
//	    127.0.0.1, DNS localhost) and the apiserver's kubelet client certificate
//	    (apiserver-kubelet-client.crt, apiserver-kubelet-client.key), all signed by that CA.
//
//	kubelet-streaming serve --cert F --key F --client-ca F --callback URL [--listen 127.0.0.1:0] [--exit-with-stdin]
//	    serves HTTPS /exec/{namespace}/{pod}/{container} (and the kubelet's
//	    /exec/{namespace}/{pod}/{uid}/{container}) with the query parameters the apiserver sends
//	    (command=…, stdin/stdout/stderr/tty=1), requiring a client certificate signed by --client-ca.
//	    Prints one JSON line {"port":N} on stdout once it listens.
//
// Every exec runs as a LOCAL PROCESS. How to run it is asked from the node player over HTTP:
//
//	POST {callback}/resolve  {"namespace","pod","container","command":[…]}
//	  200 {"id","argv":[…],"env":{…},"cwd"}  or  404 {"message"}
//	POST {callback}/started  {"id","pid"}          (the pid is also the process group id)
//	POST {callback}/finished {"id","exitCode","killed","error"}
//
// A non-zero exit travels back as a CodeExitError, so the exit code reaches the client in the status
// channel. When the connection from the apiserver ends before the command does, the process and its
// process group are killed and the node player is told (`killed: true`). (The kube-apiserver 1.35
// ends that connection when its WebSocket client's connection drops; after a graceful WebSocket close
// it keeps streaming from the node until the command ends, as towards a real kubelet.)
package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/types"
	remotecommandconsts "k8s.io/apimachinery/pkg/util/remotecommand"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/klog/v2"
	streaming "k8s.io/kubelet/pkg/cri/streaming/remotecommand"
	utilexec "k8s.io/utils/exec"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "pki":
		if len(os.Args) != 3 {
			usage()
		}
		if err := writePKI(os.Args[2]); err != nil {
			fmt.Fprintf(os.Stderr, "kubelet-streaming pki: %v\n", err)
			os.Exit(1)
		}
	case "serve":
		if err := serve(os.Args[2:]); err != nil {
			fmt.Fprintf(os.Stderr, "kubelet-streaming serve: %v\n", err)
			os.Exit(1)
		}
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: kubelet-streaming pki DIR | kubelet-streaming serve --cert F --key F --client-ca F --callback URL [--listen ADDR]")
	os.Exit(2)
}

// --- PKI ---------------------------------------------------------------------------------------

func writePKI(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "stowage-harness-kubelet-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	if err := writePair(dir, "ca", caDER, caKey); err != nil {
		return err
	}
	leaf := func(name string, serial int64, template *x509.Certificate) error {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		template.SerialNumber = big.NewInt(serial)
		template.NotBefore = now.Add(-time.Hour)
		template.NotAfter = now.Add(10 * 365 * 24 * time.Hour)
		template.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
		der, err := x509.CreateCertificate(rand.Reader, template, caCert, &key.PublicKey, caKey)
		if err != nil {
			return err
		}
		return writePair(dir, name, der, key)
	}
	if err := leaf("kubelet", 2, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "stowage-harness-node"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:    []string{"localhost"},
	}); err != nil {
		return err
	}
	// the identity kubeadm gives the apiserver towards kubelets
	return leaf("apiserver-kubelet-client", 3, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver-kubelet-client", Organization: []string{"kubeadm:cluster-admins"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}

func writePair(dir, name string, der []byte, key *ecdsa.PrivateKey) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, name+".crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
}

// --- the streaming server ------------------------------------------------------------------------

type server struct {
	callback string
	client   *http.Client
	mu       sync.Mutex
	running  map[int]bool // process group ids of the execs still running
}

// killAll ends every exec still running (the server is being stopped).
func (s *server) killAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for pgid := range s.running {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
}

// lookPath finds a command name without a slash on the PATH the container's env gives, as a runtime
// resolves it inside the container.
func lookPath(name string, env map[string]string) string {
	if strings.Contains(name, "/") {
		return name
	}
	for _, dir := range filepath.SplitList(env["PATH"]) {
		if dir == "" {
			continue
		}
		candidate := filepath.Join(dir, name)
		if info, err := os.Stat(candidate); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
			return candidate
		}
	}
	return name
}

// resolved is the node player's answer: how to run one exec as a local process.
type resolved struct {
	ID      string            `json:"id"`
	Argv    []string          `json:"argv"`
	Env     map[string]string `json:"env"`
	Cwd     string            `json:"cwd"`
	Message string            `json:"message"`
}

func (s *server) post(path string, body any) (int, []byte, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	resp, err := s.client.Post(s.callback+path, "application/json", bytes.NewReader(payload))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// ExecInContainer implements streaming.Executor: it runs the command the node player resolved.
func (s *server) ExecInContainer(ctx context.Context, name string, _ types.UID, container string, cmd []string, in io.Reader, out, errOut io.WriteCloser, _ bool, _ <-chan remotecommand.TerminalSize, _ time.Duration) error {
	namespace, pod, _ := strings.Cut(name, "/")
	status, data, err := s.post("/resolve", map[string]any{"namespace": namespace, "pod": pod, "container": container, "command": cmd})
	if err != nil {
		return fmt.Errorf("the harness node could not be asked how to run the command: %v", err)
	}
	var r resolved
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("the harness node answered %d with %q, not JSON", status, string(data))
	}
	if status != http.StatusOK {
		return errors.New(r.Message)
	}
	if len(r.Argv) == 0 {
		return errors.New("the harness node resolved an empty command")
	}
	proc := exec.Command(lookPath(r.Argv[0], r.Env), r.Argv[1:]...)
	proc.Args[0] = r.Argv[0]
	proc.Dir = r.Cwd
	env := make([]string, 0, len(r.Env))
	for k, v := range r.Env {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	proc.Env = env
	proc.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if out != nil {
		proc.Stdout = out
	}
	if errOut != nil {
		proc.Stderr = errOut
	}
	// a process that leaves a child holding its stdout must not keep the stream open forever
	proc.WaitDelay = 2 * time.Second
	var stdin io.WriteCloser
	if in != nil {
		if stdin, err = proc.StdinPipe(); err != nil {
			return err
		}
	}
	finished := func(exitCode int, killed bool, failure string) {
		_, _, _ = s.post("/finished", map[string]any{"id": r.ID, "exitCode": exitCode, "killed": killed, "error": failure})
	}
	if err := proc.Start(); err != nil {
		finished(-1, false, err.Error())
		return fmt.Errorf("cannot start %q: %v", r.Argv[0], err)
	}
	pgid := proc.Process.Pid
	// the node player kills the exec's process group when the pod goes, as a container's end ends its execs
	_, _, _ = s.post("/started", map[string]any{"id": r.ID, "pid": pgid})
	s.mu.Lock()
	s.running[pgid] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.running, pgid)
		s.mu.Unlock()
	}()
	if stdin != nil {
		go func() {
			_, _ = io.Copy(stdin, in)
			_ = stdin.Close()
		}()
	}
	var mu sync.Mutex
	killed := false
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			mu.Lock()
			killed = true
			mu.Unlock()
			_ = syscall.Kill(-proc.Process.Pid, syscall.SIGKILL)
		case <-done:
		}
	}()
	waitErr := proc.Wait()
	close(done)
	mu.Lock()
	wasKilled := killed
	mu.Unlock()
	exitCode := proc.ProcessState.ExitCode()
	if ws, ok := proc.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		exitCode = 128 + int(ws.Signal())
	}
	finished(exitCode, wasKilled, "")
	if waitErr != nil && !errors.Is(waitErr, exec.ErrWaitDelay) && exitCode == 0 {
		return waitErr
	}
	if exitCode != 0 {
		return utilexec.CodeExitError{Err: fmt.Errorf("command terminated with exit code %d", exitCode), Code: exitCode}
	}
	return nil
}

// connCtx is a connection that cancels its context when it fails or closes: after the SPDY or
// WebSocket upgrade hijacks it, net/http no longer notices the client going away.
type connCtx struct {
	net.Conn
	ctx    context.Context
	cancel context.CancelFunc
}

func (c *connCtx) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	var netErr net.Error
	// net/http interrupts its own background read with a past deadline: a timeout is not the end
	if err != nil && !(errors.As(err, &netErr) && netErr.Timeout()) {
		c.cancel()
	}
	return n, err
}

func (c *connCtx) Close() error {
	c.cancel()
	return c.Conn.Close()
}

type listener struct{ net.Listener }

func (l listener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &connCtx{Conn: conn, ctx: ctx, cancel: cancel}, nil
}

func serve(args []string) error {
	flags := flag.NewFlagSet("serve", flag.ContinueOnError)
	listen := flags.String("listen", "127.0.0.1:0", "address to listen on")
	certFile := flags.String("cert", "", "serving certificate (PEM)")
	keyFile := flags.String("key", "", "serving key (PEM)")
	clientCA := flags.String("client-ca", "", "CA that signs the clients' certificates (PEM)")
	callback := flags.String("callback", "", "the node player's base URL")
	watchStdin := flags.Bool("exit-with-stdin", false, "exit (killing running execs) when stdin reaches EOF: the parent died")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *certFile == "" || *keyFile == "" || *clientCA == "" || *callback == "" {
		return errors.New("--cert, --key, --client-ca and --callback are required")
	}
	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		return err
	}
	caPEM, err := os.ReadFile(*clientCA)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return fmt.Errorf("no certificate in %s", *clientCA)
	}
	tcp, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	tlsConfig := &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"}, // SPDY and WebSocket upgrades are HTTP/1.1
	}
	s := &server{callback: strings.TrimRight(*callback, "/"), client: &http.Client{Timeout: 2 * time.Minute}, running: map[int]bool{}}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-signals
		s.killAll()
		os.Exit(0)
	}()
	if *watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			s.killAll()
			os.Exit(0)
		}()
	}
	mux := http.NewServeMux()
	handle := func(w http.ResponseWriter, req *http.Request, namespace, pod, container string) {
		opts, err := streaming.NewOptions(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ServeExec(w, req, s, namespace+"/"+pod, container, req.URL.Query()["command"], opts)
	}
	mux.HandleFunc("/exec/{namespace}/{pod}/{container}", func(w http.ResponseWriter, req *http.Request) {
		handle(w, req, req.PathValue("namespace"), req.PathValue("pod"), req.PathValue("container"))
	})
	mux.HandleFunc("/exec/{namespace}/{pod}/{uid}/{container}", func(w http.ResponseWriter, req *http.Request) {
		handle(w, req, req.PathValue("namespace"), req.PathValue("pod"), req.PathValue("container"))
	})
	httpServer := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 30 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if tc, ok := c.(*tls.Conn); ok {
				c = tc.NetConn()
			}
			if cc, ok := c.(*connCtx); ok {
				merged, cancel := context.WithCancel(ctx)
				context.AfterFunc(cc.ctx, cancel)
				return merged
			}
			return ctx
		},
	}
	port := tcp.Addr().(*net.TCPAddr).Port
	line, _ := json.Marshal(map[string]int{"port": port})
	fmt.Println(string(line))
	return httpServer.Serve(tls.NewListener(listener{tcp}, tlsConfig))
}

// ServeExec hands one request to Kubernetes' remotecommand server with the kubelet's defaults.
func ServeExec(w http.ResponseWriter, req *http.Request, executor streaming.Executor, name, container string, cmd []string, opts *streaming.Options) {
	klog.V(4).InfoS("exec", "pod", name, "container", container, "command", cmd)
	streaming.ServeExec(w, req, executor, name, "", container, cmd, opts,
		4*time.Hour, remotecommandconsts.DefaultStreamCreationTimeout, remotecommandconsts.SupportedStreamingProtocols)
}
