// Copyright 2026 the llmreg authors.
// SPDX-License-Identifier: Apache-2.0
//
// Parts are adapted from the upstream host, github.com/pulumi/pulumi
// sdk/nodejs/cmd/pulumi-language-nodejs (Copyright 2016, Pulumi Corporation, Apache-2.0).

// Command pulumi-language-nodejs is a small Pulumi language host for Node.js and TypeScript
// programs.
//
// The upstream host (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs) is not
// available from the Go module proxy we build against, so llmreg ships this replacement, built
// from the same pinned Go modules as the CLI (tools/pulumi/go.mod). It runs programs the way
// upstream does, with the `@pulumi/pulumi` npm package's own runner (`@pulumi/pulumi/cmd/run`,
// resolved from the program's node_modules), TypeScript included: the `typescript` runtime
// option (default true) makes the runner compile the program with ts-node.
//
// Supported: Run, GetRequiredPackages/GetRequiredPlugins (packages in node_modules whose
// package.json has `"pulumi": {"resource": true}`), InstallDependencies (the package manager's
// install: npm unless the project uses yarn/pnpm/bun), GetProgramDependencies, About,
// GeneratePackage/GenerateProgram/GenerateProject (the CLI's TypeScript code generator, for
// `pulumi package gen-sdk`, `pulumi package add`, `pulumi import` and `pulumi convert`), Link
// (adds a local SDK to package.json, for `pulumi package add`) and Pack.
//
// Not supported (upstream has them): synchronous invokes (the `--sync` pipes and the monitor
// proxy that serves them; every current @pulumi/pulumi uses asynchronous invokes), the bun
// runtime, attaching a debugger, running Node.js plugins (RunPlugin: resource providers and
// policy packs written in TypeScript), and installing Node.js versions with fnm.
//
// Protocol: the engine starts `pulumi-language-nodejs [flags] <engine-address>`, reads the
// gRPC port from the first line of stdout and then calls the LanguageRuntime service.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/shlex"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/nodejs/npm"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// version is reported to the engine; keep in step with the pinned Pulumi release.
var version = "3.260.0"

const (
	// The `@pulumi/pulumi` runner; PULUMI_LANGUAGE_NODEJS_RUN_PATH overrides it, as upstream.
	defaultRunPath = "@pulumi/pulumi/cmd/run"
	// Exit code with which the runner reports an error it already showed to the user.
	bailExitCode = 32
)

func main() {
	tracing := flag.String("tracing", "", "Zipkin-compatible tracing endpoint, passed to the program")
	runtimeName := flag.String("runtime", "nodejs", "the JavaScript runtime; only nodejs is supported")
	showVersion := flag.Bool("version", false, "print the plugin version and exit")
	flag.Parse()

	if *showVersion {
		fmt.Println(version)
		return
	}
	if *runtimeName != "nodejs" {
		fatal(fmt.Errorf("unsupported runtime %q: llmreg's Node.js language host supports only nodejs", *runtimeName))
	}

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cancelServing := make(chan bool)
	go func() {
		<-ctx.Done()
		close(cancelServing)
	}()
	if engineAddress != "" {
		// Exit when the engine goes away, so a killed `pulumi` leaves no host behind.
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, stop); err != nil {
			fatal(fmt.Errorf("starting the engine health check: %w", err))
		}
	}

	host := newHost(engineAddress, *tracing)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelServing,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fatal(fmt.Errorf("starting the language host gRPC server: %w", err))
	}
	// The engine reads the port from our first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fatal(fmt.Errorf("language host stopped serving: %w", err))
	}
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
	os.Exit(1)
}

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	engineAddress string
	tracing       string
	// Cancelled by the Cancel RPC: stops a running program.
	cancelCtx  context.Context
	cancelFunc context.CancelFunc
}

func newHost(engineAddress, tracing string) *languageHost {
	ctx, cancel := context.WithCancel(context.Background())
	return &languageHost{engineAddress: engineAddress, tracing: tracing, cancelCtx: ctx, cancelFunc: cancel}
}

// nodeOptions are the runtime options of Pulumi.yaml (`runtime: {name: nodejs, options: ...}`).
type nodeOptions struct {
	typescript     bool   // compile with ts-node at run time (default true)
	tsconfig       string // tsconfig path for ts-node
	nodeargs       string // extra arguments for node
	packagemanager npm.PackageManagerType
	production     bool // skip devDependencies when installing
}

func parseOptions(info *pulumirpc.ProgramInfo) (nodeOptions, error) {
	opts := nodeOptions{typescript: true, packagemanager: npm.AutoPackageManager}
	if info == nil || info.GetOptions() == nil {
		return opts, nil
	}
	raw := info.GetOptions().AsMap()
	boolOpt := func(name string, dst *bool) error {
		if v, ok := raw[name]; ok {
			b, ok := v.(bool)
			if !ok {
				return fmt.Errorf("the %s runtime option must be a boolean", name)
			}
			*dst = b
		}
		return nil
	}
	stringOpt := func(name string, dst *string) error {
		if v, ok := raw[name]; ok {
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("the %s runtime option must be a string", name)
			}
			*dst = s
		}
		return nil
	}
	var pm string
	for _, err := range []error{
		boolOpt("typescript", &opts.typescript),
		boolOpt("production", &opts.production),
		stringOpt("tsconfig", &opts.tsconfig),
		stringOpt("nodeargs", &opts.nodeargs),
		stringOpt("packagemanager", &pm),
	} {
		if err != nil {
			return opts, err
		}
	}
	switch pm {
	case "", "auto":
	case "npm", "yarn", "pnpm", "bun":
		opts.packagemanager = npm.PackageManagerType(pm)
	default:
		return opts, fmt.Errorf("the packagemanager runtime option must be one of auto, npm, yarn, pnpm or bun, got %q", pm)
	}
	return opts, nil
}

func (h *languageHost) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *languageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *languageHost) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancelFunc()
	return &emptypb.Empty{}, nil
}

func (h *languageHost) RuntimeOptionsPrompts(
	context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// locateModule resolves a module the way the program would (`require.resolve` from its directory).
func locateModule(ctx context.Context, node, mod, dir string) (string, error) {
	script := fmt.Sprintf(`try { console.log(require.resolve(%q)); } catch (error) {`+
		` if (error.code === "MODULE_NOT_FOUND") {`+
		` console.error("It looks like the Pulumi SDK has not been installed: cannot find %s from %s."+
		" Install the program's dependencies (npm install, or pulumi install) and try again."); }`+
		` else { console.error(error.message); } process.exit(1); }`, mod, mod, dir)
	cmd := exec.CommandContext(ctx, node, "-e", script)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return "", errors.New(strings.TrimSpace(string(exitErr.Stderr)))
		}
		return "", fmt.Errorf("running %s: %w", node, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	if info == nil {
		return &pulumirpc.RunResponse{Error: "the engine sent no program info"}, nil
	}
	opts, err := parseOptions(info)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not find node on the $PATH: %v", err)}, nil
	}
	runPath := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if runPath == "" {
		runPath = defaultRunPath
	}
	runPath, err = locateModule(ctx, node, runPath, info.GetProgramDirectory())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	args, err := shlex.Split(opts.nodeargs)
	if err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("the nodeargs runtime option: %v", err)}, nil
	}
	args = append(args, runPath)
	flagArg := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	// The monitor address goes straight to the program: without synchronous invokes there is
	// nothing for a proxy between the two to do.
	flagArg("monitor", req.GetMonitorAddress())
	flagArg("engine", h.engineAddress)
	flagArg("organization", req.GetOrganization())
	flagArg("project", req.GetProject())
	flagArg("root-directory", info.GetRootDirectory())
	flagArg("stack", req.GetStack())
	flagArg("pwd", info.GetProgramDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flagArg("parallel", strconv.Itoa(int(req.GetParallel())))
	flagArg("tracing", h.tracing)
	entryPoint := info.GetEntryPoint()
	if entryPoint == "" {
		entryPoint = "."
	}
	args = append(args, entryPoint)
	args = append(args, req.GetArgs()...)

	configJSON, err := runnerConfig(req.GetConfig())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("serializing config secret keys: %w", err)
	}
	env := append(os.Environ(),
		"PULUMI_CONFIG="+configJSON,
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON))
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	// Stop the program when the engine cancels (Cancel RPC) or the request ends.
	cmdCtx, cmdCancel := context.WithCancel(h.cancelCtx)
	defer cmdCancel()
	stopOnDone := context.AfterFunc(ctx, cmdCancel)
	defer stopOnDone()
	cmd := exec.CommandContext(cmdCtx, node, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = env
	// Node may put its stdout/stderr into non-blocking mode; wrapping the writers makes exec copy
	// through a pipe instead of handing node our own descriptors (as upstream does).
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			switch code := exitErr.ExitCode(); code {
			case bailExitCode:
				return &pulumirpc.RunResponse{Bail: true}, nil
			case 0:
				return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited unexpectedly: %v", err)}, nil
			default:
				return &pulumirpc.RunResponse{
					Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code),
				}, nil
			}
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run %s): %v", node, err),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// runnerConfig serializes the stack config for the runner. Keys are sent in the old
// `<namespace>:config:<name>` form, which every @pulumi/pulumi understands (as upstream does).
func runnerConfig(cfg map[string]string) (string, error) {
	transformed := make(map[string]string, len(cfg))
	for k, v := range cfg {
		key, err := config.ParseKey(k)
		if err != nil {
			return "", fmt.Errorf("config key %q: %w", k, err)
		}
		transformed[key.Namespace()+":config:"+key.Name()] = v
	}
	b, err := json.Marshal(transformed)
	if err != nil {
		return "", fmt.Errorf("serializing config: %w", err)
	}
	return string(b), nil
}

// InstallDependencies runs the project's package manager install (npm unless the project uses
// yarn, pnpm or bun), as `pulumi install` and `pulumi package add` expect. It needs the npm
// registry unless everything is already installed or cached.
func (h *languageHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()

	info := req.GetInfo()
	if info == nil {
		return errors.New("the engine sent no program info")
	}
	opts, err := parseOptions(info)
	if err != nil {
		return err
	}
	root := info.GetProgramDirectory()
	if ws, err := npm.FindWorkspaceRoot(root); err == nil {
		fmt.Fprintf(stdout, "Detected workspace root at %s\n", ws)
		root = ws
	} else if !errors.Is(err, npm.ErrNotInWorkspace) {
		return fmt.Errorf("looking for a workspace root: %w", err)
	}
	fmt.Fprintf(stdout, "Installing dependencies...\n\n")
	name, err := npm.Install(server.Context(), opts.packagemanager, root, opts.production, stdout, stderr)
	if err != nil {
		return fmt.Errorf("%s install failed in %s: %w", name, root, err)
	}
	fmt.Fprintf(stdout, "Finished installing dependencies\n\n")
	return closer.Close()
}

func (h *languageHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	opts, err := parseOptions(req.GetInfo())
	if err != nil {
		return nil, err
	}
	dir := req.GetInfo().GetProgramDirectory()
	pm, err := npm.ResolvePackageManager(opts.packagemanager, dir)
	if err != nil {
		return nil, fmt.Errorf("choosing a package manager: %w", err)
	}
	pkgs, err := pm.ListPackages(ctx, dir, req.GetTransitiveDependencies())
	if err != nil {
		return nil, fmt.Errorf("listing the program's Node.js dependencies: %w", err)
	}
	deps := make([]*pulumirpc.DependencyInfo, len(pkgs))
	for i, p := range pkgs {
		deps[i] = &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version}
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

func (h *languageHost) About(
	ctx context.Context, req *pulumirpc.AboutRequest,
) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	resp := &pulumirpc.AboutResponse{
		Executable: node,
		Metadata:   map[string]string{"host": "llmreg minimal Node.js language host"},
	}
	if out, err := exec.CommandContext(ctx, node, "--version").Output(); err == nil {
		resp.Version = strings.TrimSpace(string(out))
	}
	if dir := req.GetInfo().GetProgramDirectory(); dir != "" {
		cmd := exec.CommandContext(ctx, node, "-e", "console.log(require('typescript/package.json').version)")
		cmd.Dir = dir
		if out, err := cmd.Output(); err == nil {
			resp.Metadata["typescriptVersion"] = strings.TrimSpace(string(out))
		}
		if opts, err := parseOptions(req.GetInfo()); err == nil {
			if pm, err := npm.ResolvePackageManager(opts.packagemanager, dir); err == nil {
				resp.Metadata["packagemanager"] = pm.Name()
			}
		}
	}
	return resp, nil
}

// absProgramDir is the program directory of info, made absolute.
func absProgramDir(info *pulumirpc.ProgramInfo) (string, error) {
	if info == nil || info.GetProgramDirectory() == "" {
		return "", errors.New("the engine sent no program directory")
	}
	return filepath.Abs(info.GetProgramDirectory())
}
