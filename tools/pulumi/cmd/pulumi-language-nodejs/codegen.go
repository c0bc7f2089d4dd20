// Copyright 2026 the llmreg authors.
// SPDX-License-Identifier: Apache-2.0
//
// Adapted from the upstream host (github.com/pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs,
// Copyright 2016, Pulumi Corporation, Apache-2.0): the code generation itself is the CLI's own
// TypeScript generator (github.com/pulumi/pulumi/pkg/v3/codegen/nodejs), the same pinned module.

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/pkg/v3/codegen/cgstrings"
	hclsyntax "github.com/pulumi/pulumi/pkg/v3/codegen/hcl2/syntax"
	codegen "github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/pcl"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/fsutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/nodejs/npm"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// GeneratePackage writes a TypeScript SDK for a package schema (`pulumi package gen-sdk
// --language nodejs`, and the first half of `pulumi package add`).
func (h *languageHost) GeneratePackage(
	_ context.Context, req *pulumirpc.GeneratePackageRequest,
) (*pulumirpc.GeneratePackageResponse, error) {
	loader, err := schema.NewLoaderClient(req.GetLoaderTarget())
	if err != nil {
		return nil, err
	}
	defer loader.Close()

	var spec schema.PackageSpec
	if err := json.Unmarshal([]byte(req.GetSchema()), &spec); err != nil {
		return nil, fmt.Errorf("parsing the package schema: %w", err)
	}
	pkg, diags, err := schema.BindSpec(spec, schema.NewCachedLoader(loader), schema.ValidationOptions{
		AllowDanglingReferences: true,
	})
	if err != nil {
		return nil, err
	}
	rpcDiags := plugin.HclDiagnosticsToRPCDiagnostics(diags)
	if diags.HasErrors() {
		return &pulumirpc.GeneratePackageResponse{Diagnostics: rpcDiags}, nil
	}
	files, err := codegen.GeneratePackage("pulumi-language-nodejs", pkg, req.GetExtraFiles(),
		req.GetLocalDependencies(), req.GetLocal(), schema.NewCachedLoader(loader))
	if err != nil {
		return nil, err
	}
	if err := writeFiles(req.GetDirectory(), files); err != nil {
		return nil, err
	}
	return &pulumirpc.GeneratePackageResponse{Diagnostics: rpcDiags}, nil
}

// GenerateProgram turns PCL into TypeScript (`pulumi import`'s generated code, `pulumi convert`).
func (h *languageHost) GenerateProgram(
	_ context.Context, req *pulumirpc.GenerateProgramRequest,
) (*pulumirpc.GenerateProgramResponse, error) {
	loader, err := schema.NewLoaderClient(req.GetLoaderTarget())
	if err != nil {
		return nil, err
	}
	defer loader.Close()

	parser := hclsyntax.NewParser()
	for path, contents := range req.GetSource() {
		if err := parser.ParseFile(strings.NewReader(contents), path); err != nil {
			return nil, err
		}
		if parser.Diagnostics.HasErrors() {
			return nil, parser.Diagnostics
		}
	}
	opts := []pcl.BindOption{pcl.PreferOutputVersionedInvokes}
	if !req.GetStrict() {
		opts = append(opts, pcl.NonStrictBindOptions()...)
	}
	program, diags, err := pcl.BindProgram(parser.Files, schema.NewCachedLoader(loader), opts...)
	if err != nil {
		return nil, err
	}
	rpcDiags := plugin.HclDiagnosticsToRPCDiagnostics(diags)
	if diags.HasErrors() {
		return &pulumirpc.GenerateProgramResponse{Diagnostics: rpcDiags}, nil
	}
	if program == nil {
		return nil, fmt.Errorf("internal error: the PCL program bound to nothing")
	}
	files, diags, err := codegen.GenerateProgramWithOptions(program, codegen.ProgramOptions{Runtime: "nodejs"})
	if err != nil {
		return nil, err
	}
	rpcDiags = append(rpcDiags, plugin.HclDiagnosticsToRPCDiagnostics(diags)...)
	return &pulumirpc.GenerateProgramResponse{Source: files, Diagnostics: rpcDiags}, nil
}

// GenerateProject writes a whole TypeScript project from PCL (`pulumi convert --language nodejs`).
func (h *languageHost) GenerateProject(
	_ context.Context, req *pulumirpc.GenerateProjectRequest,
) (*pulumirpc.GenerateProjectResponse, error) {
	loader, err := schema.NewLoaderClient(req.GetLoaderTarget())
	if err != nil {
		return nil, err
	}
	defer loader.Close()

	opts := []pcl.BindOption{pcl.PreferOutputVersionedInvokes}
	if !req.GetStrict() {
		opts = append(opts, pcl.NonStrictBindOptions()...)
	}
	program, diags, err := pcl.BindDirectory(req.GetSourceDirectory(), schema.NewCachedLoader(loader), opts...)
	if err != nil {
		return nil, err
	}
	rpcDiags := plugin.HclDiagnosticsToRPCDiagnostics(diags)
	if diags.HasErrors() {
		return &pulumirpc.GenerateProjectResponse{Diagnostics: rpcDiags}, nil
	}
	var project workspace.Project
	if err := json.Unmarshal([]byte(req.GetProject()), &project); err != nil {
		return nil, fmt.Errorf("parsing the project: %w", err)
	}
	if err := codegen.GenerateProject(req.GetTargetDirectory(), project, program,
		req.GetLocalDependencies(), false /* forceTsc */, "nodejs"); err != nil {
		return nil, err
	}
	return &pulumirpc.GenerateProjectResponse{Diagnostics: rpcDiags}, nil
}

// Link adds locally generated SDKs to the program's package.json as `file:` dependencies (the
// second half of `pulumi package add`; the engine then calls InstallDependencies).
func (h *languageHost) Link(ctx context.Context, req *pulumirpc.LinkRequest) (*pulumirpc.LinkResponse, error) {
	opts, err := parseOptions(req.GetInfo())
	if err != nil {
		return nil, err
	}
	dir, err := absProgramDir(req.GetInfo())
	if err != nil {
		return nil, err
	}
	loader, err := schema.NewLoaderClient(req.GetLoaderTarget())
	if err != nil {
		return nil, err
	}
	defer loader.Close()
	cached := schema.NewCachedLoader(loader)

	pm, err := npm.ResolvePackageManager(opts.packagemanager, dir)
	if err != nil {
		return nil, err
	}

	// TypeScript when run through ts-node (the default) or when a tsconfig.json is around.
	isTypeScript := opts.typescript || opts.tsconfig != ""
	if !isTypeScript {
		if _, err := fsutil.Searchup(dir, "tsconfig.json"); err == nil {
			isTypeScript = true
		}
	}
	usesModules := isTypeScript
	if !usesModules {
		if p, err := npm.SearchupPackageManifest(dir); err == nil {
			if data, _, err := npm.ReadPackageManifest(filepath.Dir(p)); err == nil && data["type"] == "module" {
				usesModules = true
			}
		}
	}

	var imports strings.Builder
	for _, dep := range req.GetPackages() {
		desc := &schema.PackageDescriptor{Name: dep.GetPackage().GetName(), DownloadURL: dep.GetPackage().GetServer()}
		if v, err := semver.ParseTolerant(dep.GetPackage().GetVersion()); err == nil {
			desc.Version = &v
		}
		if p := dep.GetPackage().GetParameterization(); p != nil {
			desc.Parameterization = &schema.ParameterizationDescriptor{Name: p.GetName(), Value: p.GetValue()}
			if v, err := semver.ParseTolerant(p.GetVersion()); err == nil {
				desc.Parameterization.Version = v
			}
		}
		ref, err := schema.LoadPackageReferenceV2(ctx, cached, desc)
		if err != nil {
			return nil, err
		}
		pkg, err := ref.Definition()
		if err != nil {
			return nil, err
		}
		if err := pkg.ImportLanguages(map[string]schema.Language{"nodejs": codegen.Importer}); err != nil {
			return nil, err
		}
		name := nodePackageName(pkg)
		if err := pm.Link(ctx, dir, name, dep.GetPath()); err != nil {
			return nil, err
		}
		ident := cgstrings.Camel(ref.Name())
		if usesModules {
			fmt.Fprintf(&imports, "  import * as %s from %q;\n", ident, name)
		} else {
			fmt.Fprintf(&imports, "  const %s = require(%q);\n", ident, name)
		}
	}
	lang := "JavaScript"
	if isTypeScript {
		lang = "TypeScript"
	}
	return &pulumirpc.LinkResponse{
		ImportInstructions: fmt.Sprintf("You can import the SDK in your %s code with:\n\n%s", lang, imports.String()),
	}, nil
}

// nodePackageName is the npm name of a generated SDK: the schema's language.nodejs.packageName,
// else @<namespace>/<name>, else @pulumi/<name>.
func nodePackageName(pkg *schema.Package) string {
	if info, ok := pkg.Language["nodejs"].(codegen.NodePackageInfo); ok && info.PackageName != "" {
		return info.PackageName
	}
	if pkg.Namespace != "" {
		return "@" + pkg.Namespace + "/" + pkg.Name
	}
	return "@pulumi/" + pkg.Name
}

// Pack builds a generated SDK and packs it into an npm tarball (`pulumi package pack-sdk`):
// `npm install`, `npm run build`, then `npm pack` of the built ./bin. Needs the npm registry
// unless the SDK's dependencies are already installed. Output goes to our stderr, as upstream.
func (h *languageHost) Pack(ctx context.Context, req *pulumirpc.PackRequest) (*pulumirpc.PackResponse, error) {
	npmBin, err := exec.LookPath("npm")
	if err != nil {
		return nil, fmt.Errorf("could not find npm on the $PATH: %w", err)
	}
	dir := req.GetPackageDirectory()
	run := func(args ...string) error {
		fmt.Fprintf(os.Stderr, "$ npm %s\n", strings.Join(args, " "))
		cmd := exec.CommandContext(ctx, npmBin, args...)
		cmd.Dir = dir
		cmd.Stdout = struct{ io.Writer }{os.Stderr}
		cmd.Stderr = struct{ io.Writer }{os.Stderr}
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("npm %s in %s: %w", strings.Join(args, " "), dir, err)
		}
		return nil
	}
	if err := run("install"); err != nil {
		return nil, err
	}
	if err := run("run", "build"); err != nil {
		return nil, err
	}
	// The SDKs' build script does not copy package.json into ./bin.
	if err := fsutil.CopyFile(filepath.Join(dir, "bin", "package.json"), filepath.Join(dir, "package.json"), nil); err != nil {
		return nil, fmt.Errorf("copying package.json into bin: %w", err)
	}
	fmt.Fprintf(os.Stderr, "$ npm pack\n")
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, npmBin, "pack", filepath.Join(dir, "bin"),
		"--pack-destination", req.GetDestinationDirectory())
	cmd.Stdout = &out
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("npm pack: %w", err)
	}
	return &pulumirpc.PackResponse{
		ArtifactPath: filepath.Join(req.GetDestinationDirectory(), strings.TrimSpace(out.String())),
	}, nil
}

func writeFiles(dir string, files map[string][]byte) error {
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return nil
}
