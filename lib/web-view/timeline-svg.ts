/**
 * The timeline picture of one cluster as inline SVG: time runs left to right; one row of base backups (a line from
 * start to finish and a marker at the finish, labelled with the retention tier that keeps it), one row of WAL
 * coverage per timeline (bars where segments are archived, red where required segments are missing), the
 * restorable window (green, both ends labelled) and the last restore drill. Pure: a view model in, text out.
 */
import type { ClusterView, GapView } from './cluster-view.ts';
import { escapeHtml as esc } from './html-escape.ts';

export const TIMELINE_WIDTH = 1000;
const PLOT_LEFT = 150;
const PLOT_RIGHT = TIMELINE_WIDTH - 30;
const ROW_HEIGHT = 46;
const MIN_MARK_WIDTH = 4;

const COLORS = {
  backup: '#1f4e9c',
  backupIncomplete: '#9a9a9a',
  coverage: '#5b8fd6',
  gapLost: '#d62728',
  gapUploading: '#f0a500',
  window: '#2ca02c',
  windowThaw: '#4a90b8',
  drill: '#7b3fa0',
  axis: '#555',
  grid: '#e3e3e3',
};

/** A time on the picture's axis: UTC `HH:MM:SS`, with the date when the picture spans more than a day. */
export function axisTime(ms: number, spanMs: number): string {
  const text = new Date(ms).toISOString();
  return spanMs > 86_400_000 ? `${text.slice(5, 10)} ${text.slice(11, 16)}` : text.slice(11, 19);
}

const NICE_STEPS_MS = [
  1_000, 5_000, 10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000,
  86_400_000, 604_800_000, 2_592_000_000,
];

interface Scale {
  readonly t0: number;
  readonly t1: number;
  x(ms: number): number;
}

function timeScale(view: ClusterView): Scale {
  const times: number[] = [Date.parse(view.generatedAt)];
  const add = (text: string | undefined) => {
    if (text !== undefined) times.push(Date.parse(text));
  };
  for (const backup of view.backups) {
    add(backup.startTime);
    add(backup.finishTime);
  }
  for (const run of view.coverage) {
    add(run.firstUploadedAt);
    add(run.lastUploadedAt);
  }
  for (const gap of view.gaps) {
    add(gap.after);
    add(gap.before);
  }
  for (const range of view.windows) {
    add(range.from);
    add(range.to);
  }
  add(view.lastDrill?.startedAt);
  add(view.lastDrill?.finishedAt);
  const finite = times.filter(Number.isFinite);
  let t0 = Math.min(...finite);
  let t1 = Math.max(...finite);
  if (t1 - t0 < 60_000) t0 = t1 - 60_000;
  const pad = (t1 - t0) * 0.03;
  t0 -= pad;
  t1 += pad;
  return { t0, t1, x: (ms) => PLOT_LEFT + ((ms - t0) / (t1 - t0)) * (PLOT_RIGHT - PLOT_LEFT) };
}

const fmt = (n: number): string => n.toFixed(1);

/** The retention tier under (or over) a backup marker, when there is room for it. */
function tierLabel(lanes: LabelLanes, tier: string, x: number): string {
  if (!tier) return '';
  const text = tier.length > 28 ? `${tier.slice(0, 27)}…` : tier;
  const y = lanes.place(text, x, 'middle', 10);
  return y === undefined
    ? ''
    : `<text class="tier-label" x="${fmt(x)}" y="${fmt(y)}" font-size="10" text-anchor="middle" fill="${COLORS.axis}">${esc(text)}</text>`;
}

const GAP_LABEL_SIZE = 11;
const labelWidth = (text: string, fontSize: number): number => text.length * fontSize * 0.62 + 4;

/** `1 segment lost`, or for neighbouring gaps drawn under one label `2 gaps: 3 segments lost`. */
function gapLabel(gaps: readonly GapView[]): string {
  const count = gaps.reduce((sum, gap) => sum + gap.count, 0);
  const statuses = [...new Set(gaps.map((gap) => gap.status))];
  const status = statuses.length === 1 ? statuses[0] : 'missing';
  const segments = `${count} ${count === 1 ? 'segment' : 'segments'} ${status}`;
  return gaps.length === 1 ? segments : `${gaps.length} gaps: ${segments}`;
}

/**
 * One label per run of gaps whose labels would overlap (`1 segment lost1 segment lost`): neighbours are merged
 * into one label centred over them until no two labels touch.
 */
function gapLabelGroups(
  marks: readonly { gap: GapView; mark: { x: number; width: number }; color: string }[],
): { label: string; x: number; color: string }[] {
  const groups: { gaps: GapView[]; left: number; right: number }[] = [];
  const boxOf = (group: { gaps: GapView[]; left: number; right: number }) => {
    const x = (group.left + group.right) / 2;
    const width = labelWidth(gapLabel(group.gaps), GAP_LABEL_SIZE);
    return { x, from: x - width / 2, to: x + width / 2 };
  };
  for (const { gap, mark } of [...marks].sort((a, b) => a.mark.x - b.mark.x)) {
    let group = { gaps: [gap], left: mark.x, right: mark.x + mark.width };
    for (let previous = groups.at(-1); previous && boxOf(previous).to > boxOf(group).from; previous = groups.at(-1)) {
      groups.pop();
      group = { gaps: [...previous.gaps, ...group.gaps], left: previous.left, right: group.right };
    }
    groups.push(group);
  }
  return groups.map((group) => ({
    label: gapLabel(group.gaps),
    x: boxOf(group).x,
    color: group.gaps.some((gap) => gap.status === 'lost') ? COLORS.gapLost : COLORS.gapUploading,
  }));
}

/** A horizontal mark from x1 to x2, at least MIN_MARK_WIDTH wide (widened around its centre). */
function span(x1: number, x2: number): { x: number; width: number } {
  const width = x2 - x1;
  if (width >= MIN_MARK_WIDTH) return { x: x1, width };
  const centre = (x1 + x2) / 2;
  return { x: centre - MIN_MARK_WIDTH / 2, width: MIN_MARK_WIDTH };
}

/**
 * Labels of one row that must not overlap: each is placed in the first lane (a y position) where its estimated box
 * is clear of the labels already there, or left out when no lane is (the mark keeps its tooltip, and the tables
 * below the picture list everything). Widths are estimated generously from the font size, as no text is measured.
 */
class LabelLanes {
  private readonly taken: { left: number; right: number }[][];
  constructor(private readonly lanes: readonly number[]) {
    this.taken = lanes.map(() => []);
  }

  /** The lane's y for a label of `text` at `x` with the given anchor and size, or undefined when none is clear. */
  place(text: string, x: number, anchor: 'start' | 'middle' | 'end', fontSize: number): number | undefined {
    const width = labelWidth(text, fontSize);
    const left = anchor === 'start' ? x : anchor === 'end' ? x - width : x - width / 2;
    const box = { left, right: left + width };
    const lane = this.taken.findIndex((boxes) =>
      boxes.every((other) => box.right <= other.left || box.left >= other.right),
    );
    if (lane < 0) return undefined;
    this.taken[lane]?.push(box);
    return this.lanes[lane];
  }
}

/** A label placed by `lanes`, or nothing when it would overlap another (`data-time` when it labels a time). */
function placedText(
  lanes: LabelLanes,
  className: string,
  text: string,
  x: number,
  anchor: 'start' | 'middle' | 'end',
  fontSize: number,
  color: string,
  time?: string,
): string {
  const y = lanes.place(text, x, anchor, fontSize);
  if (y === undefined) return '';
  const dataTime = time === undefined ? '' : ` data-time="${esc(time)}"`;
  return `<text class="${className}"${dataTime} x="${fmt(x)}" y="${fmt(y)}" font-size="${fontSize}" text-anchor="${anchor}" fill="${color}">${esc(text)}</text>`;
}

function rowLabel(y: number, text: string): string {
  return `<text class="row-label" x="8" y="${fmt(y + 4)}" font-size="12" fill="${COLORS.axis}">${esc(text)}</text>`;
}

function axis(scale: Scale, y: number): string {
  const spanMs = scale.t1 - scale.t0;
  const step = NICE_STEPS_MS.find((candidate) => spanMs / candidate <= 8) ?? NICE_STEPS_MS.at(-1) ?? 86_400_000;
  const parts: string[] = [
    `<line x1="${PLOT_LEFT}" y1="${fmt(y)}" x2="${PLOT_RIGHT}" y2="${fmt(y)}" stroke="${COLORS.axis}"/>`,
  ];
  for (let tick = Math.ceil(scale.t0 / step) * step; tick <= scale.t1; tick += step) {
    const x = scale.x(tick);
    parts.push(
      `<line x1="${fmt(x)}" y1="20" x2="${fmt(x)}" y2="${fmt(y)}" stroke="${COLORS.grid}"/>`,
      `<text class="axis-label" x="${fmt(x)}" y="${fmt(y + 16)}" font-size="11" text-anchor="middle" fill="${COLORS.axis}">${esc(axisTime(tick, spanMs))}</text>`,
    );
  }
  parts.push(
    `<text x="${PLOT_RIGHT}" y="${fmt(y + 32)}" font-size="11" text-anchor="end" fill="${COLORS.axis}">UTC</text>`,
  );
  return parts.join('');
}

/**
 * Renders the picture. Elements carry classes and data attributes (`gap` with `data-from`/`data-to` segments,
 * `window-from`/`window-to` with `data-time`) so tests and people's tools can find what is drawn.
 *
 * @example renderTimelineSvg(view) // '<svg class="timeline" ...>...</svg>'
 */
export function renderTimelineSvg(view: ClusterView): string {
  const scale = timeScale(view);
  const spanMs = scale.t1 - scale.t0;
  const timelines = [
    ...new Set([...view.coverage.map((run) => run.timeline), ...view.gaps.map((gap) => gap.timeline)]),
  ].sort((a, b) => a - b);
  const rows: string[] = [];
  let y = 40;

  // Base backups.
  rows.push(rowLabel(y, 'base backups'));
  const tierLanes = new LabelLanes([y + 20, y - 12]);
  for (const backup of view.backups) {
    const finish = backup.finishTime ?? backup.startTime;
    if (finish === undefined) continue;
    const start = backup.startTime ?? finish;
    const x1 = scale.x(Date.parse(start));
    const x2 = scale.x(Date.parse(finish));
    const color = backup.status === 'complete' ? COLORS.backup : COLORS.backupIncomplete;
    const tier =
      backup.retention?.decision === 'keep'
        ? backup.retention.reasons.join(', ')
        : backup.retention?.decision === 'delete'
          ? 'to delete'
          : '';
    const title = `${backup.name} (${backup.status}) ${start} → ${finish}${tier ? `; retention: ${tier}` : ''}`;
    rows.push(
      `<g class="backup-marker" data-name="${esc(backup.name)}" data-status="${esc(backup.status)}">`,
      `<title>${esc(title)}</title>`,
      `<line x1="${fmt(x1)}" y1="${fmt(y)}" x2="${fmt(x2)}" y2="${fmt(y)}" stroke="${color}" stroke-width="3"/>`,
      `<path d="M ${fmt(x2)} ${fmt(y - 7)} L ${fmt(x2 + 6)} ${fmt(y)} L ${fmt(x2)} ${fmt(y + 7)} L ${fmt(x2 - 6)} ${fmt(y)} Z" fill="${backup.retention?.decision === 'delete' ? '#fff' : color}" stroke="${color}" stroke-width="1.5"/>`,
      tierLabel(tierLanes, tier, x2),
      '</g>',
    );
  }
  // Room under the tier labels for the gap labels above the first WAL row.
  y += ROW_HEIGHT + 8;

  // WAL coverage and gaps per timeline.
  for (const timeline of timelines) {
    rows.push(rowLabel(y, `WAL timeline ${timeline}`));
    for (const run of view.coverage.filter((candidate) => candidate.timeline === timeline)) {
      const mark = span(scale.x(Date.parse(run.firstUploadedAt)), scale.x(Date.parse(run.lastUploadedAt)));
      rows.push(
        `<rect class="coverage" data-timeline="${timeline}" data-from="${esc(run.from)}" data-to="${esc(run.to)}" x="${fmt(mark.x)}" y="${fmt(y - 8)}" width="${fmt(mark.width)}" height="16" fill="${COLORS.coverage}"><title>${esc(`timeline ${timeline}: ${run.from}..${run.to} (${run.segments} segments) archived ${run.firstUploadedAt} → ${run.lastUploadedAt}`)}</title></rect>`,
      );
    }
    const marks = view.gaps
      .filter((candidate) => candidate.timeline === timeline)
      .map((gap) => {
        const right = scale.x(Date.parse(gap.before ?? view.generatedAt));
        const left = gap.after === undefined ? right - 12 : scale.x(Date.parse(gap.after));
        return { gap, mark: span(left, right), color: gap.status === 'lost' ? COLORS.gapLost : COLORS.gapUploading };
      });
    for (const { gap, mark, color } of marks) {
      const label = gapLabel([gap]);
      rows.push(
        `<g class="gap" data-timeline="${timeline}" data-from="${esc(gap.from)}" data-to="${esc(gap.to)}" data-status="${gap.status}">`,
        `<title>${esc(`gap on timeline ${timeline}: ${gap.from}..${gap.to}, ${label}; needed by ${gap.neededBy.join(', ')}`)}</title>`,
        `<rect class="gap-mark" x="${fmt(mark.x)}" y="${fmt(y - 12)}" width="${fmt(mark.width)}" height="24" fill="${color}"/>`,
        '</g>',
      );
    }
    for (const group of gapLabelGroups(marks)) {
      rows.push(
        `<text class="gap-label" x="${fmt(group.x)}" y="${fmt(y - 16)}" font-size="${GAP_LABEL_SIZE}" text-anchor="middle" fill="${group.color}">${esc(group.label)}</text>`,
      );
    }
    y += ROW_HEIGHT;
  }

  // Restorable window.
  rows.push(rowLabel(y, 'restorable'));
  const fromLanes = new LabelLanes([y + 22]);
  const toLanes = new LabelLanes([y - 13]);
  for (const range of view.windows) {
    const fromMs = Date.parse(range.from);
    const toMs = Date.parse(range.to);
    const mark = span(scale.x(fromMs), scale.x(toMs));
    rows.push(
      `<g class="window" data-timeline="${range.timeline}" data-from="${esc(range.from)}" data-to="${esc(range.to)}">`,
      `<title>${esc(`restorable ${range.from} → ${range.to} on timeline ${range.timeline} from ${range.baseBackup}`)}</title>`,
      `<rect class="window-band" x="${fmt(mark.x)}" y="${fmt(y - 9)}" width="${fmt(mark.width)}" height="18" fill="${COLORS.window}" fill-opacity="0.45" stroke="${COLORS.window}"/>`,
      // Stretches that need a thaw are drawn over the band in an icy blue, so what restores now stays green.
      ...(range.thawParts ?? []).map((part) => {
        const thaw = span(scale.x(Date.parse(part.from)), scale.x(Date.parse(part.to)));
        const words = `needs a thaw (${part.storageClasses.join(', ')}) ${part.from} → ${part.to} from ${part.baseBackup}`;
        return `<rect class="window-thaw" data-from="${esc(part.from)}" data-to="${esc(part.to)}" x="${fmt(thaw.x)}" y="${fmt(y - 9)}" width="${fmt(thaw.width)}" height="18" fill="${COLORS.windowThaw}" fill-opacity="0.6" stroke="${COLORS.windowThaw}"><title>${esc(words)}</title></rect>`;
      }),
      placedText(
        fromLanes,
        'window-from',
        `from ${axisTime(fromMs, spanMs)}`,
        mark.x,
        'start',
        11,
        COLORS.window,
        range.from,
      ),
      placedText(
        toLanes,
        'window-to',
        `to ${axisTime(toMs, spanMs)}`,
        mark.x + mark.width,
        'end',
        11,
        COLORS.window,
        range.to,
      ),
      '</g>',
    );
  }
  if (view.windows.length === 0) {
    rows.push(
      `<text class="window-none" x="${PLOT_LEFT}" y="${fmt(y + 4)}" font-size="12" fill="${COLORS.gapLost}">nothing is restorable</text>`,
    );
  }
  y += ROW_HEIGHT;

  // Last restore drill.
  rows.push(rowLabel(y, 'last drill'));
  const drill = view.lastDrill;
  if (drill) {
    const x = scale.x(Date.parse(drill.finishedAt ?? drill.startedAt));
    const color = drill.status === 'failed' ? COLORS.gapLost : COLORS.drill;
    rows.push(
      `<g class="drill-marker" data-status="${esc(drill.status)}"><title>${esc(`drill ${drill.id}: ${drill.status}${drill.detail ? `, ${drill.detail}` : ''}`)}</title>`,
      `<circle cx="${fmt(x)}" cy="${fmt(y)}" r="6" fill="${color}"/>`,
      `<text x="${fmt(x + 10)}" y="${fmt(y + 4)}" font-size="11" fill="${color}">${esc(`drill ${drill.status}`)}</text></g>`,
    );
  } else {
    rows.push(`<text x="${PLOT_LEFT}" y="${fmt(y + 4)}" font-size="12" fill="${COLORS.axis}">no drill yet</text>`);
  }
  y += ROW_HEIGHT - 16;

  const nowX = scale.x(Date.parse(view.generatedAt));
  const height = y + 40;
  return [
    `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${TIMELINE_WIDTH} ${height}" width="${TIMELINE_WIDTH}" height="${height}" role="img" aria-label="${esc(`timeline of cluster ${view.cluster}`)}" data-t0="${new Date(scale.t0).toISOString()}" data-t1="${new Date(scale.t1).toISOString()}">`,
    axis(scale, y),
    `<line class="now" x1="${fmt(nowX)}" y1="20" x2="${fmt(nowX)}" y2="${fmt(y)}" stroke="${COLORS.axis}" stroke-dasharray="3 3"/>`,
    `<text x="${fmt(nowX)}" y="14" font-size="10" text-anchor="middle" fill="${COLORS.axis}">now</text>`,
    ...rows,
    '</svg>',
  ].join('\n');
}
