import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    s3Endpoint: string;
    receiverUrl: string;
  }
}
