// Frames and bytes one segment switched, per direction: plain numbers the loops add to, read by status and metrics.

/** Frames and inner bytes one segment switched, per direction (egress: TAP side in, ingress: tunnel side in). */
export class SegmentTraffic {
  egressFrames = 0;
  egressBytes = 0;
  ingressFrames = 0;
  ingressBytes = 0;

  egress(frames: number, bytes: number): void {
    this.egressFrames += frames;
    this.egressBytes += bytes;
  }

  ingress(frames: number, bytes: number): void {
    this.ingressFrames += frames;
    this.ingressBytes += bytes;
  }

  toJSON(): { egress: { frames: number; bytes: number }; ingress: { frames: number; bytes: number } } {
    return { egress: { frames: this.egressFrames, bytes: this.egressBytes }, ingress: { frames: this.ingressFrames, bytes: this.ingressBytes } };
  }
}

