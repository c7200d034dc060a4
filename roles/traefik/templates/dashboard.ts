import { acmeRouterTls } from '../acme.ts';
import { DASHBOARD_AUTH, fqdn, HTTPS_ENTRYPOINT, SECURITY_HEADERS } from '../names.ts';
import { renderDynamic } from './dynamic-config.ts';

export interface DashboardSettings {
  domain: string;
  /** With ACME the router asks the resolver for the wildcard certificate; with the local CA, tls.yml's certificate serves it. */
  acme: boolean;
}

/** The dashboard's host name. */
export const dashboardHost = (domain: string) => fqdn('traefik', domain);

/** dashboard.yml: Traefik's own API and dashboard (api@internal), only over HTTPS and behind basic auth. */
export function dashboardYaml(s: DashboardSettings): string {
  return renderDynamic([`The Traefik dashboard at https://${dashboardHost(s.domain)}/dashboard/ (basic auth: dashboard-auth.yml).`], {
    http: {
      routers: {
        dashboard: {
          rule: `Host(\`${dashboardHost(s.domain)}\`)`,
          entryPoints: [HTTPS_ENTRYPOINT],
          service: 'api@internal',
          middlewares: [DASHBOARD_AUTH, SECURITY_HEADERS],
          tls: s.acme ? acmeRouterTls(s.domain) : {},
        },
      },
    },
  });
}

/** dashboard-auth.yml (mode 0600): the basic-auth middleware with the one `user:$apr1$…` line. */
export function dashboardAuthYaml(user: string, apr1Hash: string): string {
  return renderDynamic(['Basic auth of the dashboard: the password is in .env (TRAEFIK_DASHBOARD_PASSWORD), only its hash is here.'], {
    http: { middlewares: { [DASHBOARD_AUTH]: { basicAuth: { users: [`${user}:${apr1Hash}`], removeHeader: true } } } },
  });
}
