import { closeSync, constants, existsSync, fstatSync, openSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { extname, relative, resolve, sep } from 'node:path';
import type { App } from './app.js';
import { InputError } from './errors.js';
import { AnalysisStore } from './store/analyses.js';
import { RunStore } from './store/runs.js';

export const ARTIFACT_PREFIX = 'perfsop://artifacts/';
export const RUN_PREFIX = 'perfsop://runs/';
export const ANALYSIS_PREFIX = 'perfsop://analyses/';
/** How many of the newest runs and analyses resources/list shows; older ones stay readable by URI. */
const LISTED_RECORDS = 50;
/** Bigger files are named by path instead of sent through the protocol. */
const MAX_READ_BYTES = 20 * 1024 * 1024;
const MIME: Record<string, string> = { '.html': 'text/html', '.json': 'application/json', '.cpuprofile': 'application/json', '.heapprofile': 'application/json', '.log': 'text/plain', '.md': 'text/markdown' };

export function artifactUri(app: App, path: string): string {
  return `${ARTIFACT_PREFIX}${relative(app.artifactsDir, path).split(sep).map(encodeURIComponent).join('/')}`;
}

export interface ListedResource {
  uri: string;
  name: string;
  mimeType: string;
  size: number;
  description: string;
}

/** The newest runs and analyses, then the artifact files perfsop recorded, newest first. */
export function listResources(app: App): ListedResource[] {
  const runs = new RunStore(app.db).recentRuns(LISTED_RECORDS).map((r) => ({
    uri: `${RUN_PREFIX}${r.id}`,
    name: `run ${r.id}${r.label ? ` (${r.label})` : ''}`,
    mimeType: 'application/json',
    size: 0,
    description: `benchmark run ${r.id}, ${r.status}, ${new Date(r.startedAt).toISOString()}${r.suite ? `, suite ${r.suite}` : ''}`,
  }));
  const analyses = new AnalysisStore(app.db).recent(LISTED_RECORDS).map((a) => ({
    uri: `${ANALYSIS_PREFIX}${a.id}`,
    name: `analysis ${a.id}${a.component ? ` (${a.component})` : ''}`,
    mimeType: 'application/json',
    size: 0,
    description: `bottleneck analysis ${a.id}, ${a.status}, ${new Date(a.startedAt).toISOString()}`,
  }));
  return [...runs, ...analyses, ...listArtifacts(app)];
}

/** A stored run (with its benchmarks and comparisons) or analysis (with its findings) as JSON. */
export function readRecord(app: App, uri: string): { uri: string; mimeType: string; text: string } {
  const match = /^perfsop:\/\/(runs|analyses)\/(\d+)$/.exec(uri);
  if (!match) throw new InputError('uri', `unknown resource ${uri}; use ${RUN_PREFIX}<id>, ${ANALYSIS_PREFIX}<id> or ${ARTIFACT_PREFIX}<path>`);
  const id = Number(match[2]);
  let record: unknown;
  if (match[1] === 'runs') {
    const store = new RunStore(app.db);
    const run = store.getRun(id);
    record = run && { ...run, benchmarks: store.benchmarksOf(id).map(({ histogram: _histogram, ...b }) => b), comparisons: store.comparisonsOf(id) };
  } else record = new AnalysisStore(app.db).get(id);
  if (!record) throw new InputError('uri', `no ${match[1] === 'runs' ? 'run' : 'analysis'} ${id}`);
  return { uri, mimeType: 'application/json', text: JSON.stringify(record, null, 2) };
}

/** Any perfsop resource by URI. */
export function readResource(app: App, uri: string): { uri: string; mimeType: string; text: string } {
  return uri.startsWith(ARTIFACT_PREFIX) ? readArtifact(app, uri) : readRecord(app, uri);
}

/** The artifact files perfsop recorded, newest first. */
export function listArtifacts(app: App): ListedResource[] {
  return new AnalysisStore(app.db)
    .artifacts()
    .filter((a) => existsSync(a.path))
    .map((a) => ({
      uri: artifactUri(app, a.path),
      name: `${a.owner} ${a.ownerId} ${a.kind}`,
      mimeType: a.mimeType,
      size: a.bytes,
      description: `${a.kind} of ${a.owner} ${a.ownerId}, ${new Date(a.createdAt).toISOString()}`,
    }));
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root + sep);
}

/**
 * Where open descriptor `fd` really leads. On Linux /proc names the file that was opened, so a
 * link swapped in after a check cannot redirect the read; elsewhere the path's real location is the
 * best there is.
 */
function openedPath(fd: number, path: string): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return realpathSync(path);
  }
}

/**
 * Reads an artifact by URI. Only files inside the artifacts folder can be read. A path that leaves
 * it by its letters (`..`, an absolute path) is refused before the file system is asked anything,
 * so the answer does not tell whether a file exists out there. What is inside is opened once, and
 * the file that descriptor actually leads to (symlinks followed, at the moment of opening) must be
 * inside too; the read comes from that descriptor, so swapping a link after the check changes
 * nothing.
 */
export function readArtifact(app: App, uri: string): { uri: string; mimeType: string; text: string } {
  if (!uri.startsWith(ARTIFACT_PREFIX)) throw new InputError('uri', `unknown resource ${uri}; artifacts are ${ARTIFACT_PREFIX}<path>`);
  let relativePath: string;
  try {
    relativePath = uri.slice(ARTIFACT_PREFIX.length).split('/').map(decodeURIComponent).join(sep);
  } catch {
    throw new InputError('uri', `malformed resource URI ${uri}`);
  }
  const outside = () => new InputError('uri', `${uri} is outside the artifacts folder`);
  const root = existsSync(app.artifactsDir) ? realpathSync(app.artifactsDir) : resolve(app.artifactsDir);
  const candidate = resolve(root, relativePath);
  if (!inside(root, candidate)) throw outside();
  let fd: number;
  try {
    // Non-blocking, so a FIFO planted in the folder cannot hang the server in open().
    fd = openSync(candidate, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    throw new InputError('uri', `no artifact at ${uri}`);
  }
  try {
    const real = openedPath(fd, candidate);
    if (!inside(root, real)) throw outside();
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new InputError('uri', `${uri} is not a file`);
    if (stat.size > MAX_READ_BYTES) {
      throw new InputError('uri', `${uri} is ${stat.size} bytes, more than the ${MAX_READ_BYTES} bytes sent through the protocol; open ${real} directly`);
    }
    return { uri, mimeType: MIME[extname(real)] ?? 'application/octet-stream', text: readFileSync(fd, 'utf8') };
  } finally {
    closeSync(fd);
  }
}
