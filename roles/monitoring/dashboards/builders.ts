/**
 * Small typed builders for Grafana's classic dashboard JSON model (grafana.com/docs/grafana/latest/dashboards/build-
 * dashboards/view-dashboard-json-model/), the format file provisioning takes. Every query names the provisioned
 * Prometheus data source by its fixed uid: no `${DS_…}` import placeholder anywhere.
 */

/** The uid the datasource provisioning file gives Prometheus; dashboards refer to it. */
export const DATASOURCE_UID = 'msh-prometheus';
export const DATASOURCE = { type: 'prometheus', uid: DATASOURCE_UID } as const;

export interface Target {
  refId: string;
  datasource: typeof DATASOURCE;
  expr: string;
  legendFormat: string;
  instant?: boolean;
}

export interface Panel {
  id: number;
  type: 'timeseries' | 'stat';
  title: string;
  datasource: typeof DATASOURCE;
  gridPos: { x: number; y: number; w: number; h: number };
  targets: Target[];
  fieldConfig: { defaults: { unit?: string; min?: number; max?: number; decimals?: number }; overrides: never[] };
  options?: Record<string, unknown>;
}

export interface Dashboard {
  uid: string;
  title: string;
  tags: string[];
  editable: false;
  schemaVersion: number;
  version: number;
  timezone: 'browser';
  refresh: string;
  time: { from: string; to: string };
  templating: { list: never[] };
  annotations: { list: never[] };
  panels: Panel[];
}

/** A panel before layout: what to draw, not where. */
export interface PanelSpec {
  type: Panel['type'];
  title: string;
  queries: { expr: string; legend: string }[];
  unit?: string;
  min?: number;
  max?: number;
}

/** Lines over time; `queries` as [PromQL, legend] pairs. */
export function timeseries(title: string, queries: [string, string][], unit?: string, range: { min?: number; max?: number } = {}): PanelSpec {
  return { type: 'timeseries', title, queries: queries.map(([expr, legend]) => ({ expr, legend })), unit, ...range };
}

/** One big number per series (its last value). */
export function stat(title: string, queries: [string, string][], unit?: string): PanelSpec {
  return { type: 'stat', title, queries: queries.map(([expr, legend]) => ({ expr, legend })), unit };
}

const ROW_HEIGHT = 8;
const WIDTH = 24;

function panel(spec: PanelSpec, id: number, gridPos: Panel['gridPos']): Panel {
  return {
    id,
    type: spec.type,
    title: spec.title,
    datasource: DATASOURCE,
    gridPos,
    targets: spec.queries.map((q, i) => ({ refId: String.fromCharCode(65 + i), datasource: DATASOURCE, expr: q.expr, legendFormat: q.legend, ...(spec.type === 'stat' ? { instant: true } : {}) })),
    fieldConfig: { defaults: { ...(spec.unit ? { unit: spec.unit } : {}), ...(spec.min !== undefined ? { min: spec.min } : {}), ...(spec.max !== undefined ? { max: spec.max } : {}) }, overrides: [] },
    ...(spec.type === 'stat' ? { options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none' } } : {}),
  };
}

/** A dashboard laid out row by row; the panels of a row share its width. */
export function dashboard(uid: string, title: string, rows: PanelSpec[][]): Dashboard {
  const panels: Panel[] = [];
  rows.forEach((row, r) => {
    const w = Math.floor(WIDTH / row.length);
    row.forEach((spec, i) => panels.push(panel(spec, panels.length + 1, { x: i * w, y: r * ROW_HEIGHT, w, h: ROW_HEIGHT })));
  });
  return {
    uid,
    title,
    tags: ['media-server'],
    editable: false,
    schemaVersion: 39,
    version: 1,
    timezone: 'browser',
    refresh: '1m',
    time: { from: 'now-24h', to: 'now' },
    templating: { list: [] },
    annotations: { list: [] },
    panels,
  };
}
