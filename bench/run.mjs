// `npm run bench`: every benchmark, each printing its figures and its ratio to a baseline measured in the same run.
import { imageBench } from "./image.mjs";

await imageBench();
