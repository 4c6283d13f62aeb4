/** Keys and certificates made with openssl for tests: a CA, server and client certificates, a signing key. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "vertexchat-certs-"));

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { stdio: "ignore" });
}

export interface Issued {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

/** A self-signed CA. */
export function makeCa(name: string): Issued {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.pem`);
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    `/CN=${name}`,
    "-keyout",
    keyFile,
    "-out",
    certFile,
  );
  return { certFile, keyFile, cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
}

/** A certificate for `cn` signed by `ca` (with 127.0.0.1 and localhost as names, for servers). */
export function issue(ca: Issued, cn: string): Issued {
  const keyFile = join(dir, `${cn}.key`);
  const csr = join(dir, `${cn}.csr`);
  const certFile = join(dir, `${cn}.pem`);
  const ext = join(dir, `${cn}.ext`);
  writeFileSync(ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${cn}`, "-keyout", keyFile, "-out", csr);
  openssl(
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.certFile,
    "-CAkey",
    ca.keyFile,
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    ext,
    "-out",
    certFile,
  );
  return { certFile, keyFile, cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
}

export function writeTemp(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
