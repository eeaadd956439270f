/**
 * The parts of the AWS SDK `s3Store` uses, in one module that `s3-store.ts` and `s3-options.ts` only
 * ever `import()` where they need it (never statically): loading @aws-sdk/client-s3 costs ~30 MB of
 * RSS and ~100 ms at startup, which a script or CLI run that only uses a local directory store should
 * not pay.
 */
export {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
export { Upload } from "@aws-sdk/lib-storage";
export { getSignedUrl } from "@aws-sdk/s3-request-presigner";
