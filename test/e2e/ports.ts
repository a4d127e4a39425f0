/**
 * One pair of ports per black-box suite: vitest runs the suites in parallel, and two dev servers on
 * one port would each answer the other's tests (startDev refuses a port that is already taken).
 */
export const PORTS = {
  walkthrough: { port: 18787, s3Port: 14568 },
  largeFiles: { port: 18797, s3Port: 14578 },
  mediaQueue: { port: 18807, s3Port: 14588 },
  dashboard: { port: 18817, s3Port: 14598 },
  fuzz: { port: 18917, s3Port: 14698 },
} as const;
