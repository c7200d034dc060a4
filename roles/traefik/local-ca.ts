/**
 * The local CA and the server certificate, made on the controller (the machine running the playbook).
 *
 * Why steps whose check and apply work locally, and not work done while the steps are built: steps() runs at plan time
 * on every run — with --check, and even for a role that --tags leaves out — so it must not change anything. As steps,
 * the CA is made only by apply (never in --check, which only says it would be), the runner shows and counts it like any
 * other change, and a second run finds it and reports ok. Their checks read files on this machine and ignore the host.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Step } from '../../lib/api/step.ts';
import { caFiles, createCa, fixCaModes, inspectCa, type CaFiles } from '../../lib/pki/ca.ts';
import { writeFileAtomicLocal } from '../../lib/local-files.ts';
import { namesOutside, permittedDnsNames } from '../../lib/pki/name-constraints.ts';
import { issueServerCert, reissueReasons, type ServerCertFiles } from '../../lib/pki/server-cert.ts';
import { CA_EXPORT_NAME, SERVER_CERT_NAME } from './names.ts';

export const CA_DAYS = 3650;
/** Apple's limit for TLS server certificates (398 days), with a day to spare. */
export const CERT_DAYS = 397;
export const RENEW_WITHIN_DAYS = 30;

export interface LocalCaLayout {
  ca: CaFiles;
  /** The CA certificate for devices: PEM (.crt) and DER (.der). */
  exportPem: string;
  exportDer: string;
  server: ServerCertFiles;
}

/** Where everything lives; a relative tls_ca_dir is taken from the directory the playbook runs in. */
export function localCaLayout(dir: string): LocalCaLayout {
  const abs = resolve(dir);
  return {
    ca: caFiles(abs),
    exportPem: join(abs, `${CA_EXPORT_NAME}.crt`),
    exportDer: join(abs, `${CA_EXPORT_NAME}.der`),
    server: { cert: join(abs, `${SERVER_CERT_NAME}.crt`), key: join(abs, `${SERVER_CERT_NAME}.key`) },
  };
}

export const caCommonName = () => `media-server-home local CA (${hostname()})`;

export interface LocalCaSettings {
  layout: LocalCaLayout;
  domain: string;
  /** Full DNS names the server certificate covers. */
  dnsNames: string[];
  tags?: string[];
}

const readIfExists = (path: string) => (existsSync(path) ? readFileSync(path) : undefined);

/** The controller-side steps, and the files they make for the host-side steps (undefined while a step will remake them). */
export function localCa(s: LocalCaSettings) {
  const { layout } = s;
  // Set by the certificate step's check: in --check the files on disk are the old ones while it would issue new ones.
  let reissuePending = false;
  const caCert = () => readIfExists(layout.ca.cert);

  const caStep: Step = {
    title: 'Local CA on the controller',
    tags: s.tags,
    check() {
      const state = inspectCa(layout.ca);
      if (state.kind === 'absent') {
        return {
          summary: `create a local CA on this machine in ${layout.ca.dir} (mode 0700): ca.key (EC P-256, mode 0600) and ca.crt ("${caCommonName()}", ${CA_DAYS / 365} years, may sign only names under ${s.domain})`,
        };
      }
      return state.looseModes.length ? { summary: `narrow the modes of the local CA: ${state.looseModes.join(', ')}` } : null;
    },
    async apply() {
      if (inspectCa(layout.ca).kind === 'absent') await createCa(layout.ca, { commonName: caCommonName(), days: CA_DAYS, permittedDns: [s.domain] });
      else fixCaModes(layout.ca);
    },
  };

  const exportStep: Step = {
    title: 'CA certificate exported for devices',
    tags: s.tags,
    check() {
      const pem = caCert();
      const summary = `write ${layout.exportPem} and ${layout.exportDer} (the CA certificate to install on phones and computers)`;
      if (!pem) return { summary };
      const der = new X509Certificate(pem).raw;
      const same = (path: string, want: Buffer) => readIfExists(path)?.equals(want) ?? false;
      return same(layout.exportPem, pem) && same(layout.exportDer, der) ? null : { summary };
    },
    async apply() {
      const pem = caCert();
      if (!pem) throw new Error(`${layout.ca.cert} does not exist: run the step "Local CA on the controller" first (do not leave it out with --start-at or --skip-tags)`);
      writeFileAtomicLocal(layout.exportPem, pem, 0o644);
      writeFileAtomicLocal(layout.exportDer, new X509Certificate(pem).raw, 0o644);
    },
  };

  const certStep: Step = {
    title: 'Server certificate on the controller',
    tags: s.tags,
    async check(ctx) {
      const pem = caCert();
      const what = `issue a certificate for ${s.dnsNames.join(', ')} (EC P-256, ${CERT_DAYS} days) into ${layout.server.cert}`;
      if (!pem) {
        if (!ctx.checkMode) throw new Error(`${layout.ca.cert} does not exist: run the step "Local CA on the controller" first (do not leave it out with --start-at or --skip-tags)`);
        reissuePending = true;
        return { summary: `${what}, signed by the new CA` };
      }
      const outside = namesOutside(s.dnsNames, await permittedDnsNames(layout.ca.cert));
      if (outside.length) {
        throw new Error(
          `the local CA in ${layout.ca.dir} may sign only names under the domain it was made for, not ${outside.join(', ')} (did domain change?): set domain back, or move ${layout.ca.dir} away to make a new CA (every device must then trust the new one)`,
        );
      }
      const reasons = reissueReasons(layout.server, new X509Certificate(pem), s.dnsNames, RENEW_WITHIN_DAYS);
      reissuePending = reasons.length > 0;
      return reissuePending ? { summary: `${what}: ${reasons.join('; ')}` } : null;
    },
    async apply() {
      await issueServerCert(layout.ca, layout.server, { dnsNames: s.dnsNames, days: CERT_DAYS });
    },
  };

  const unlessPending = (read: () => Buffer | undefined) => () => (reissuePending ? undefined : read());
  return {
    steps: [caStep, exportStep, certStep],
    caCert,
    serverCert: unlessPending(() => readIfExists(layout.server.cert)),
    serverKey: unlessPending(() => readIfExists(layout.server.key)),
  };
}
