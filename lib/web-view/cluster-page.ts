/**
 * The web view's HTML: per cluster a header with the verdict and the figures ops ask first, the timeline picture,
 * then tables of restorable ranges, gaps, base backups (with the retention decision) and jobs. Plain HTML and
 * inline SVG with a little CSS; no script, no framework. Pure: view models in, text out; every string escaped.
 */
import { splitsText, windowSplits } from '../domain/continuity/window-splits.ts';
import type { BackupView, ClusterView, JobView, WindowView } from './cluster-view.ts';
import { escapeHtml as esc } from './html-escape.ts';
import { renderTimelineSvg } from './timeline-svg.ts';

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; background: #fafafa; }
h1 { font-size: 20px; margin: 0 0 16px; }
h2 { font-size: 18px; margin: 0 0 8px; }
h3 { font-size: 14px; margin: 18px 0 6px; }
section.cluster { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 16px; margin-bottom: 24px; overflow-x: auto; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-weight: 600; font-size: 12px; }
.status-OK { background: #2ca02c; } .status-WARNING { background: #f0a500; } .status-FAILURE { background: #d62728; }
dl.figures { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 8px 0 12px; }
dl.figures dt { color: #666; } dl.figures dd { margin: 0; }
table { border-collapse: collapse; font-size: 13px; }
th, td { text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid #eee; vertical-align: top; }
td { overflow-wrap: break-word; max-width: 30em; }
td code { white-space: nowrap; }
th { color: #666; font-weight: 600; }
code { font-size: 12px; }
.muted { color: #777; }
.finding, .alert { color: #a11; }
svg.timeline { max-width: 100%; height: auto; background: #fff; }
`;

const dash = '<span class="muted">–</span>';

/** `2026-11-20 10:00:00Z` for an ISO time: the table shows seconds, the JSON keeps milliseconds. */
export function tableTime(iso: string | undefined): string | undefined {
  return iso?.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}
const cell = (text: string | number | undefined): string =>
  text === undefined || text === '' ? `<td>${dash}</td>` : `<td>${esc(String(text))}</td>`;
const codeCell = (text: string | undefined): string =>
  text === undefined ? `<td>${dash}</td>` : `<td><code>${esc(text)}</code></td>`;

/** `1.5 MiB`-style sizes. */
export function formatSize(bytes: number | undefined): string | undefined {
  if (bytes === undefined) return undefined;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

function table(caption: string, header: readonly string[], rows: readonly string[], empty: string): string {
  if (rows.length === 0) return `<h3>${esc(caption)}</h3><p class="muted">${esc(empty)}</p>`;
  return `<h3>${esc(caption)}</h3><table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function backupRow(backup: BackupView): string {
  const retention = backup.retention
    ? `${backup.retention.decision}: ${backup.retention.reasons.join(', ')}`
    : undefined;
  const notes = [
    backup.permanent ? 'permanent' : '',
    backup.consistent === false ? 'INCONSISTENT: WAL between start and finish is missing' : '',
    backup.problem ?? '',
    backup.userData ? `user data ${backup.userData}` : '',
  ].filter((note) => note !== '');
  return `<tr class="backup-row" data-name="${esc(backup.name)}">${codeCell(backup.name)}${cell(backup.status)}${cell(backup.kind)}${cell(backup.timeline)}${cell(tableTime(backup.startTime))}${cell(tableTime(backup.finishTime))}${cell(formatSize(backup.compressedSize))}${cell(retention)}${cell(notes.join('; '))}</tr>`;
}

function jobRow(job: JobView): string {
  return `<tr class="job-row">${codeCell(job.id)}${cell(job.kind)}${cell(job.status)}${cell(tableTime(job.startedAt))}${cell(tableTime(job.finishedAt))}${cell(job.detail)}</tr>`;
}

/** Whether a restorable range restores now, needs a thaw for part of it, or for all of it. */
function thawWords(range: WindowView): string {
  const parts = range.thawParts ?? [];
  if (parts.length === 0) return 'restores now';
  const whole = parts.length === 1 && parts[0]?.from === range.from && parts[0]?.to === range.to;
  return whole ? 'needs a thaw' : 'partly needs a thaw';
}

/** The header's window: first start to last end, and how it is split (the table below lists the ranges). */
function restorableFigure(view: ClusterView): string {
  const first = view.windows[0];
  const last = view.windows.at(-1);
  if (!first || !last) return 'nothing';
  const splits = splitsText(
    windowSplits(view.windows.map((range) => ({ from: new Date(range.from), to: new Date(range.to) }))),
  );
  return `${tableTime(first.from)} → ${tableTime(last.to)}${splits === undefined ? '' : ` in ${splits} (see Restorable ranges)`}`;
}

/** One cluster's section. */
export function renderClusterSection(view: ClusterView): string {
  const figures: [string, string][] = [
    ['restorable', restorableFigure(view)],
    [
      'last backup',
      view.lastBackup
        ? `${view.lastBackup.name} finished ${tableTime(view.lastBackup.finishTime)} (${view.lastBackup.ageSeconds} s ago)`
        : 'none',
    ],
    [
      'WAL head',
      view.walHead
        ? `${view.walHead.segment} uploaded ${tableTime(view.walHead.uploadedAt)} (${view.walHead.ageSeconds} s ago)`
        : 'none',
    ],
    [
      'gaps',
      view.gaps.length === 0
        ? 'none'
        : view.gaps.map((gap) => `${gap.count} ${gap.status} on timeline ${gap.timeline}`).join(', '),
    ],
    [
      'retention',
      view.retention.refused
        ? `refused: ${view.retention.refused}`
        : `${view.retention.source === 'stored-plan' ? `plan ${view.retention.planId ?? ''} (${view.retention.planStatus ?? ''})` : 'preview'}: keeps ${view.retention.keep.length} backup(s), deletes ${view.retention.deleteBackups.length}`,
    ],
    ['WAL segment size', view.walSegmentSize],
  ];
  return [
    `<section class="cluster" id="cluster-${esc(view.cluster)}" data-cluster="${esc(view.cluster)}">`,
    `<h2>${esc(view.cluster)} <span class="status status-${esc(view.status)}">${esc(view.status)}</span></h2>`,
    `<dl class="figures">${figures.map(([term, value]) => `<dt>${esc(term)}</dt><dd>${esc(value)}</dd>`).join('')}</dl>`,
    ...view.findings.map((finding) => `<p class="finding">${esc(finding)}</p>`),
    ...view.alerts.map(
      (alert) =>
        `<p class="alert">${esc(`open alert since ${alert.since}: ${alert.summary}`)}<br><span class="next-step">${esc(`Next step: ${alert.nextStep}`)}</span></p>`,
    ),
    renderTimelineSvg(view),
    table(
      'Restorable ranges',
      ['timeline', 'from', 'to', 'base backup', 'thaw'],
      view.windows.flatMap((range) => [
        `<tr class="window-row">${cell(range.timeline)}${cell(tableTime(range.from))}${cell(tableTime(range.to))}${codeCell(range.baseBackup)}${cell(thawWords(range))}</tr>`,
        ...(range.thawParts ?? []).map(
          (part) =>
            `<tr class="window-thaw-row">${cell('')}${cell(tableTime(part.from))}${cell(tableTime(part.to))}${codeCell(part.baseBackup)}${cell(`needs a thaw (${part.storageClasses.join(', ')}): restore start --thaw`)}</tr>`,
        ),
      ]),
      'Nothing is restorable.',
    ),
    table(
      'Gaps',
      ['timeline', 'from', 'to', 'segments', 'status', 'needed by'],
      view.gaps.map(
        (gap) =>
          `<tr class="gap-row">${cell(gap.timeline)}${codeCell(gap.from)}${codeCell(gap.to)}${cell(gap.count)}${cell(gap.status)}${cell(gap.neededBy.join(', '))}</tr>`,
      ),
      'No WAL is missing.',
    ),
    table(
      'Base backups',
      ['name', 'status', 'kind', 'timeline', 'start', 'finish', 'compressed', 'retention', 'notes'],
      view.backups.map(backupRow),
      'No base backups yet.',
    ),
    table('Jobs', ['id', 'kind', 'status', 'started', 'finished', 'detail'], view.jobs.map(jobRow), 'No jobs yet.'),
    '</section>',
  ].join('\n');
}

/** The whole page for the given clusters; it refreshes itself every `refreshSeconds` when given. */
export function renderPage(views: readonly ClusterView[], options: { readonly refreshSeconds?: number } = {}): string {
  const refresh =
    options.refreshSeconds === undefined
      ? ''
      : `<meta http-equiv="refresh" content="${Math.round(options.refreshSeconds)}">`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    refresh,
    `<title>${esc(views.length === 1 ? `walcat: ${views[0]?.cluster ?? ''}` : 'walcat')}</title>`,
    `<style>${STYLE}</style></head><body>`,
    '<h1>walcat: backups, WAL and what can be restored</h1>',
    ...views.map(renderClusterSection),
    '<p class="muted">The same data as JSON: <code>/api/clusters</code> and <code>/api/clusters/&lt;id&gt;</code> (or add <code>?format=json</code>).</p>',
    '</body></html>',
  ].join('\n');
}
