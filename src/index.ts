/** Entry of the bundled action (dist/index.js): the step, over the runner's @actions/core. */
import { coreIO, run } from "./action.js";

await run(coreIO());
