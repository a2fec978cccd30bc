/**
 * Setup file (vitest.config.ts setupFiles): runs in every test file, so its
 * afterAll is the file's last hook (hooks run as a stack); by then servers and
 * browsers the file opened are closed, and the folders it made go.
 */
import { afterAll } from "vitest";
import { removeTempDirs } from "../helpers/temp.js";

afterAll(removeTempDirs);
