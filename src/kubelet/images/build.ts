/**
 * Offline images. Nothing can be pulled from the internet here, so Skiff
 * builds its sandbox ("pause") image and a small busybox base image from
 * Debian's busybox-static, as OCI image layouts packed in a tar, and imports
 * archives into its containerd through `ctr` (what `k3s ctr images import`
 * does).
 */
import { createHash } from "node:crypto";
import { execFile, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Tagged (not :latest) so that the default imagePullPolicy is IfNotPresent and the node never tries a registry for it. */
export const BUSYBOX_IMAGE = "skiff.local/busybox:static";
export { SANDBOX_IMAGE } from "../runtime/cri/containerd.js";
import { SANDBOX_IMAGE } from "../runtime/cri/containerd.js";

const BUSYBOX = "/bin/busybox";
const PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

function ociArch(): string {
  return ({ x64: "amd64", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x" } as Record<string, string>)[process.arch] ?? process.arch;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${(r.stderr || r.error?.message || "").trim()}`);
  return r.stdout;
}

/** A root filesystem with the static busybox and a link per applet. */
function busyboxRootfs(dir: string): void {
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: install Debian's busybox-static`);
  for (const d of ["bin", "etc", "tmp", "root", "proc", "sys", "dev", "var", "usr/bin", "home"]) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, "tmp"), 0o1777);
  copyFileSync(BUSYBOX, join(dir, "bin/busybox"));
  chmodSync(join(dir, "bin/busybox"), 0o755);
  const applets = run(BUSYBOX, ["--list"]).split("\n").filter((a) => a && a !== "busybox");
  for (const applet of applets) symlinkSync("busybox", join(dir, "bin", applet));
  writeFileSync(join(dir, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n");
  writeFileSync(join(dir, "etc/group"), "root:x:0:\nnobody:x:65534:\n");
}

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

interface ImageSpec { name: string; entrypoint?: string[]; cmd?: string[] }

/** Writes an OCI image layout for each image (all sharing one busybox layer) into one tar. */
export function buildImageArchive(file: string, images: ImageSpec[]): void {
  const work = mkdtempSync(join(tmpdir(), "skiff-image-"));
  try {
    const rootfs = join(work, "rootfs");
    busyboxRootfs(rootfs);
    const layout = join(work, "layout");
    const blobs = join(layout, "blobs", "sha256");
    mkdirSync(blobs, { recursive: true });
    const layerFile = join(work, "layer.tar");
    // Fixed owners, order and times make the layer's digest reproducible.
    run("tar", ["--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@0", "-C", rootfs, "-cf", layerFile, "."]);
    const layer = readFileSync(layerFile);
    const layerDigest = sha256(layer);
    writeFileSync(join(blobs, layerDigest), layer);
    const blob = (json: unknown) => {
      const data = Buffer.from(JSON.stringify(json));
      const digest = sha256(data);
      writeFileSync(join(blobs, digest), data);
      return { digest: `sha256:${digest}`, size: data.length };
    };
    const manifests = images.map((image) => {
      const config = blob({
        architecture: ociArch(), os: "linux",
        config: { Env: [PATH_ENV], Entrypoint: image.entrypoint, Cmd: image.cmd, WorkingDir: "/" },
        rootfs: { type: "layers", diff_ids: [`sha256:${layerDigest}`] },
        history: [{ created_by: "skiff images build (Debian busybox-static)" }],
      });
      const manifest = blob({
        schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: `sha256:${layerDigest}`, size: layer.length }],
      });
      return {
        mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest,
        platform: { architecture: ociArch(), os: "linux" },
        annotations: { "io.containerd.image.name": image.name, "org.opencontainers.image.ref.name": image.name.split(":").pop() },
      };
    });
    writeFileSync(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    writeFileSync(join(layout, "index.json"), JSON.stringify({ schemaVersion: 2, manifests }));
    run("tar", ["--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@0", "-C", layout, "-cf", file, "."]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The images every node has: the sandbox image and busybox. */
export function buildBuiltinImages(dir: string): string {
  mkdirSync(dir, { recursive: true });
  // The name carries the image names, so a Skiff that ships other images builds them anew.
  const file = join(dir, `skiff-builtin-${sha256(Buffer.from(SANDBOX_IMAGE + BUSYBOX_IMAGE)).slice(0, 8)}.tar`);
  if (!existsSync(file)) {
    buildImageArchive(file, [
      { name: SANDBOX_IMAGE, entrypoint: ["/bin/sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"] },
      { name: BUSYBOX_IMAGE, cmd: ["sh"] },
    ]);
  }
  return file;
}

/** Imports an OCI or Docker archive into containerd's CRI namespace. */
export function importImageArchive(socket: string, file: string): string {
  return run("ctr", ["--address", socket, "--namespace", "k8s.io", "images", "import", "--no-unpack=false", file]);
}

/** Every archive in the node's images folder (k3s's agent/images convention), imported at start, all at once (node Ready waits on it). */
export async function importImageDir(socket: string, dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).filter((f) => /\.(tar|oci|docker)$/.test(f)).map((f) => join(dir, f));
  await Promise.all(files.map((f) => new Promise<void>((resolve, reject) => {
    execFile("ctr", ["--address", socket, "--namespace", "k8s.io", "images", "import", "--no-unpack=false", f], (err, _out, stderr) => {
      if (err) reject(new Error(`ctr images import ${f} failed: ${stderr || err.message}`));
      else resolve();
    });
  })));
  return files;
}
