/**
 * The V8 `.cpuprofile` format (what `inspector` Profiler.stop returns and Chrome DevTools and
 * speedscope open): a tree of call frames, and samples pointing at the frame on the CPU.
 */
export interface CallFrame {
  functionName: string;
  scriptId: string;
  url: string;
  /** 0-based. */
  lineNumber: number;
  /** 0-based. */
  columnNumber: number;
}

export interface PositionTick {
  /** 1-based source line. */
  line: number;
  ticks: number;
}

export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
  positionTicks?: PositionTick[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  /** Microseconds. */
  startTime: number;
  endTime: number;
  /** Node id on the CPU at each sample. */
  samples: number[];
  /** Microseconds since the previous sample (the first: since startTime). */
  timeDeltas: number[];
}

/** Checks the shape well enough to analyze it, with an error that says what is missing. */
export function parseCpuProfile(json: unknown): CpuProfile {
  const profile = json as Partial<CpuProfile> | null;
  if (!profile || typeof profile !== 'object') throw new Error('not a .cpuprofile: expected a JSON object');
  if (!Array.isArray(profile.nodes) || profile.nodes.length === 0) throw new Error('not a .cpuprofile: no "nodes" array');
  if (!Array.isArray(profile.samples)) throw new Error('not a .cpuprofile: no "samples" array');
  if (!Array.isArray(profile.timeDeltas) || profile.timeDeltas.length !== profile.samples.length) {
    throw new Error('not a .cpuprofile: "timeDeltas" must be an array as long as "samples"');
  }
  const first = profile.nodes[0] as Partial<ProfileNode>;
  if (typeof first.id !== 'number' || !first.callFrame || typeof first.callFrame.functionName !== 'string') {
    throw new Error('not a .cpuprofile: nodes need "id" and "callFrame"');
  }
  return profile as CpuProfile;
}
