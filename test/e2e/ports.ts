/**
 * One pair of ports per black-box suite: vitest runs the suites in parallel, and two dev servers on
 * one port would each answer the other's tests (startDev refuses a port that is already taken).
 */
export const PORTS = {
  walkthrough: { port: 18787, s3Port: 14568 },
  native: { port: 18827, s3Port: 14608 },
  nativeUnreachable: { port: 18837, s3Port: 14618 },
  nativeImage: { port: 18847, s3Port: 14628 },
  largeFiles: { port: 18797, s3Port: 14578 },
  mediaQueue: { port: 18807, s3Port: 14588 },
  dashboard: { port: 18817, s3Port: 14598 },
  tusBrowser: { port: 18907, s3Port: 14688 },
  fuzz: { port: 18917, s3Port: 14698 },
} as const;
