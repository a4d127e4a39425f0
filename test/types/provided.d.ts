import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    s3Endpoint: string;
    /** The same S3 peer behind a front that fails requests a test scripts (test/support/s3-front.ts). */
    s3FrontEndpoint: string;
    receiverUrl: string;
  }
}
