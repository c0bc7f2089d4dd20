// Copyright 2026 the llmreg authors.
// SPDX-License-Identifier: Apache-2.0
//
// Adapted from the upstream host's plugin discovery (github.com/pulumi/pulumi
// sdk/nodejs/cmd/pulumi-language-nodejs, Copyright 2016, Pulumi Corporation, Apache-2.0).

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// packageJSON is the part of a package.json that plugin discovery reads.
type packageJSON struct {
	Name    string                  `json:"name"`
	Version string                  `json:"version"`
	Pulumi  plugin.PulumiPluginJSON `json:"pulumi"`
}

// GetRequiredPackages reports the resource plugins the program's installed packages declare:
// every package under node_modules (searched from the program directory, symlinks followed)
// whose package.json has `"pulumi": {"resource": true, ...}`, as generated SDKs do.
func (h *languageHost) GetRequiredPackages(
	_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	dir, err := absProgramDir(req.GetInfo())
	if err != nil {
		return nil, err
	}
	pkgs, err := packagesFromDir(dir, false, map[string]bool{})
	if err != nil {
		// Like upstream: report what was found; unreadable corners of node_modules are not fatal.
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: while discovering plugins: %v\n", err)
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: pkgs}, nil
}

// GetRequiredPlugins is the older form of GetRequiredPackages, for engines that still call it.
func (h *languageHost) GetRequiredPlugins(
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	resp, err := h.GetRequiredPackages(ctx, &pulumirpc.GetRequiredPackagesRequest{Info: req.GetInfo()})
	if err != nil {
		return nil, err
	}
	plugins := make([]*pulumirpc.PluginDependency, 0, len(resp.GetPackages()))
	for _, p := range resp.GetPackages() {
		if p.GetParameterization() != nil {
			continue // not expressible as a plain plugin dependency
		}
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: p.GetName(), Kind: p.GetKind(), Version: p.GetVersion(), Server: p.GetServer(),
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

func packagesFromDir(dir string, inNodeModules bool, visited map[string]bool) ([]*pulumirpc.PackageDependency, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	// Children of a directory named node_modules are packages, also when it is a symlink.
	childrenAreModules := inNodeModules || filepath.Base(dir) == "node_modules"
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	if visited[dir] {
		return nil, nil
	}
	visited[dir] = true

	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	var pkgs []*pulumirpc.PackageDependency
	var errs []error
	for _, entry := range entries {
		path := filepath.Join(dir, entry.Name())
		isDir := entry.IsDir()
		if entry.Type()&os.ModeSymlink != 0 {
			fi, err := os.Stat(path)
			if err != nil {
				continue // dangling link
			}
			isDir = fi.IsDir()
		}
		switch {
		case isDir:
			// Plugins of a nested policy pack are not the program's.
			if policyPack, err := workspace.DetectPolicyPackPathAt(path); err != nil {
				errs = append(errs, err)
				continue
			} else if policyPack != "" {
				continue
			}
			more, err := packagesFromDir(path, childrenAreModules, visited)
			if err != nil {
				errs = append(errs, err)
			}
			pkgs = append(pkgs, more...)
		case inNodeModules && entry.Name() == "package.json":
			dep, err := packageDependency(path)
			if err != nil {
				errs = append(errs, err)
			} else if dep != nil {
				pkgs = append(pkgs, dep)
			}
		}
	}
	return pkgs, errors.Join(errs...)
}

// packageDependency reads one package.json: the plugin it declares, or nil.
func packageDependency(path string) (*pulumirpc.PackageDependency, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var info packageJSON
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	if !info.Pulumi.Resource {
		return nil, nil
	}
	name := info.Pulumi.Name
	if name == "" {
		if !strings.HasPrefix(info.Name, "@pulumi/") {
			return nil, fmt.Errorf("%s: a third-party plugin package must name its plugin in \"pulumi\": {\"name\": ...}", path)
		}
		name = strings.TrimPrefix(info.Name, "@pulumi/")
	}
	ver := info.Pulumi.Version
	if ver == "" {
		ver = info.Version
	}
	if ver == "" {
		return nil, fmt.Errorf("%s: missing \"version\"", path)
	}
	if !strings.HasPrefix(ver, "v") {
		ver = "v" + ver
	}
	dep := &pulumirpc.PackageDependency{Name: name, Kind: "resource", Version: ver, Server: info.Pulumi.Server}
	if p := info.Pulumi.Parameterization; p != nil {
		dep.Parameterization = &pulumirpc.PackageParameterization{Name: p.Name, Version: p.Version, Value: p.Value}
	}
	if p := info.Pulumi.ExtensionParameterization; p != nil {
		dep.Extension = &pulumirpc.PackageParameterization{Name: p.Name, Version: p.Version, Value: p.Value}
	}
	return dep, nil
}
