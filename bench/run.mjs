// `npm run bench`: every benchmark, each printing its figures and its ratio to a baseline measured in the same run.
import { imageBench } from "./image.mjs";
import { videoBench, videoLimits } from "./video.mjs";
import { uploadsBench } from "./uploads.mjs";
import { engineBench } from "./engine.mjs";
import { encodersBench } from "./encoders.mjs";
import { nativeBench } from "./native.mjs";

const only = process.argv[2];
if (!only || only === "image") await imageBench();
if (!only || only === "video") await videoBench();
if (!only || only === "uploads") await uploadsBench();
if (!only || only === "engine") await engineBench();
if (!only || only === "native") await nativeBench();
if (only === "limits") await videoLimits();
if (only === "encoders") await encodersBench();
