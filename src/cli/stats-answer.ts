// A `stats` answer as the CLI reads it (api/counters.ts SwitchCounters): what a switch older than a counter did not send is optional.

export interface FrameBytes {
  frames: number;
  bytes: number;
}

export interface DirectionCounters extends FrameBytes {
  batches: number;
  flooded: number;
  floodCopies?: number;
  partialChecksums?: number;
  drops: Record<string, number>;
}

export interface SegmentCounters {
  id: number;
  tap: string;
  fdbEntries: number;
  egress?: FrameBytes;
  ingress?: FrameBytes;
}

export interface StatsAnswer {
  egress: DirectionCounters;
  ingress: DirectionCounters;
  fdb: Record<string, number>;
  segments?: SegmentCounters[];
  peers?: Record<string, number>;
  io?: Record<string, number | string>;
}
