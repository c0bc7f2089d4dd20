// Copyright 2026 the llmreg authors.
// SPDX-License-Identifier: Apache-2.0

// Command pulumi-language-python is a minimal Pulumi language host for Python programs.
//
// The upstream host (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python) is not
// available from the Go module proxy we build against, so llmreg ships this small replacement.
// It supports what llmreg's programs and tests need: running a Python program from a
// virtualenv through the upstream `pulumi-language-python-exec` shim, which must be installed
// next to this binary. It does not install dependencies, create virtualenvs, generate code,
// or discover provider plugins from installed packages (dynamic providers need none).
//
// Protocol: the engine starts `pulumi-language-python [flags] <engine-address>`, reads the
// gRPC port from the first line of stdout and then calls the LanguageRuntime service.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// version is reported to the engine; keep in step with the pinned Pulumi release.
var version = "3.260.0"

const (
	execShimName = "pulumi-language-python-exec"
	// Exit code with which the exec shim reports an error it already showed to the user.
	bailExitCode = 32
)

func main() {
	tracing := flag.String("tracing", "", "Zipkin-compatible tracing endpoint, passed to the program")
	executor := flag.String("use-executor", "", "path of the exec shim (default: next to this binary)")
	// Accepted for compatibility with engines that pass them; the values come from RunRequest.Info.
	flag.String("root", "", "ignored")
	flag.String("virtualenv", "", "ignored")
	flag.String("toolchain", "", "ignored")
	flag.Parse()

	shim := *executor
	if shim == "" {
		self, err := os.Executable()
		if err != nil {
			fatal(fmt.Errorf("locating this executable: %w", err))
		}
		if resolved, err := filepath.EvalSymlinks(self); err == nil {
			self = resolved
		}
		shim = filepath.Join(filepath.Dir(self), execShimName)
	}
	if _, err := os.Stat(shim); err != nil {
		fatal(fmt.Errorf("missing Python exec shim: %w", err))
	}

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}

	host := &languageHost{shim: shim, engineAddress: engineAddress, tracing: *tracing}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
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
	fmt.Fprintf(os.Stderr, "pulumi-language-python: %v\n", err)
	os.Exit(1)
}

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	shim          string
	engineAddress string
	tracing       string
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

func (h *languageHost) GetRequiredPlugins(
	context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *languageHost) GetRequiredPackages(
	context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *languageHost) GetProgramDependencies(
	context.Context, *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *languageHost) RuntimeOptionsPrompts(
	context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// InstallDependencies is a no-op: llmreg's virtualenvs are prepared by the project's tooling.
func (h *languageHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest,
	stream pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	msg := "llmreg language host: dependencies are managed outside Pulumi; nothing to install\n"
	return stream.Send(&pulumirpc.InstallDependenciesResponse{Stdout: []byte(msg)})
}

func (h *languageHost) About(
	_ context.Context, req *pulumirpc.AboutRequest,
) (*pulumirpc.AboutResponse, error) {
	python, err := pythonCommand(req.GetInfo())
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(python, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("running %s --version: %w", python, err)
	}
	return &pulumirpc.AboutResponse{
		Executable: python,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "Python "),
		Metadata:   map[string]string{"host": "llmreg minimal Python language host"},
	}, nil
}

// virtualenvPath returns the absolute virtualenv path from Pulumi.yaml's runtime options
// (relative paths are relative to the project root), or "" when none is configured.
func virtualenvPath(info *pulumirpc.ProgramInfo) string {
	if info == nil || info.GetOptions() == nil {
		return ""
	}
	v, ok := info.GetOptions().GetFields()["virtualenv"]
	if !ok || v.GetStringValue() == "" {
		return ""
	}
	path := v.GetStringValue()
	if !filepath.IsAbs(path) {
		path = filepath.Join(info.GetRootDirectory(), path)
	}
	return filepath.Clean(path)
}

// pythonCommand picks the interpreter: the virtualenv's python if configured, else
// $PULUMI_PYTHON_CMD, else python3 from PATH.
func pythonCommand(info *pulumirpc.ProgramInfo) (string, error) {
	if venv := virtualenvPath(info); venv != "" {
		python := filepath.Join(venv, "bin", "python")
		if _, err := os.Stat(python); err != nil {
			return "", fmt.Errorf(
				"the 'virtualenv' option in Pulumi.yaml is %q, but %s does not exist; "+
					"create the virtualenv and install the program's dependencies into it", venv, python)
		}
		return python, nil
	}
	if cmd := os.Getenv("PULUMI_PYTHON_CMD"); cmd != "" {
		return cmd, nil
	}
	return exec.LookPath("python3")
}

func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	python, err := pythonCommand(info)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	program := req.GetProgram()
	if program == "" && info != nil && info.GetProgramDirectory() != "" {
		program = filepath.Join(info.GetProgramDirectory(), info.GetEntryPoint())
	}
	if program == "" {
		program = "."
	}

	args := []string{"-u", h.shim}
	flagArg := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flagArg("monitor", req.GetMonitorAddress())
	flagArg("engine", h.engineAddress)
	flagArg("project", req.GetProject())
	flagArg("stack", req.GetStack())
	flagArg("pwd", req.GetPwd())
	flagArg("dry_run", strconv.FormatBool(req.GetDryRun()))
	flagArg("parallel", strconv.Itoa(int(req.GetParallel())))
	flagArg("tracing", h.tracing)
	flagArg("organization", req.GetOrganization())
	if info != nil {
		flagArg("root_directory", info.GetRootDirectory())
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	env := os.Environ()
	if cfg := req.GetConfig(); cfg != nil {
		b, err := json.Marshal(cfg)
		if err != nil {
			return nil, fmt.Errorf("serializing config: %w", err)
		}
		env = append(env, "PULUMI_CONFIG="+string(b))
	}
	if keys := req.GetConfigSecretKeys(); keys != nil {
		b, err := json.Marshal(keys)
		if err != nil {
			return nil, fmt.Errorf("serializing config secret keys: %w", err)
		}
		env = append(env, "PULUMI_CONFIG_SECRET_KEYS="+string(b))
	}
	if venv := virtualenvPath(info); venv != "" {
		env = append(env,
			"PULUMI_RUNTIME_VIRTUALENV="+venv,
			"VIRTUAL_ENV="+venv,
			"PATH="+filepath.Join(venv, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
		env = withoutVar(env, "PYTHONHOME")
	}

	cmd := exec.CommandContext(ctx, python, args...)
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == bailExitCode {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("could not run the Python exec shim with %s: %v", python, err),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// withoutVar drops every NAME=... entry for name (the last PATH= wins, so only unset vars need this).
func withoutVar(env []string, name string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}
