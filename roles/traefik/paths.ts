import { CA_EXPORT_NAME, SERVER_CERT_NAME } from './names.ts';

/** The role's files on the VM. */
export function hostPaths(traefikDir: string) {
  const dynamic = `${traefikDir}/dynamic`;
  const certs = `${traefikDir}/certs`;
  return {
    dynamic,
    certs,
    tlsYml: `${dynamic}/tls.yml`,
    middlewaresYml: `${dynamic}/middlewares.yml`,
    dashboardYml: `${dynamic}/dashboard.yml`,
    dashboardAuthYml: `${dynamic}/dashboard-auth.yml`,
    cert: `${certs}/${SERVER_CERT_NAME}.crt`,
    key: `${certs}/${SERVER_CERT_NAME}.key`,
    caCert: `${certs}/${CA_EXPORT_NAME}.crt`,
  };
}
