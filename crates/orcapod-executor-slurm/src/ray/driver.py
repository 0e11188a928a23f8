"""orcapod Ray driver (written by orcapod-executor-slurm's RayExecutor).

Runs one orcapod worker task per Ray task: `<worker> --orcapod-worker <job dir>/task_<i>`.
The worker writes the task's results into its directory; this driver only records each
worker's stdout/stderr and exit code (`ray.exit`, written last).
"""
import json
import os
import subprocess
import sys

import ray

spec = json.load(open(sys.argv[1]))
ray.init()


@ray.remote
def run_task(worker, task_dir):
    with open(os.path.join(task_dir, "stdout.log"), "ab") as out, open(
        os.path.join(task_dir, "stderr.log"), "ab"
    ) as err:
        code = subprocess.call([worker, "--orcapod-worker", task_dir], stdout=out, stderr=err)
    tmp = os.path.join(task_dir, "ray.exit.tmp")
    with open(tmp, "w") as f:
        f.write(str(code))
    os.replace(tmp, os.path.join(task_dir, "ray.exit"))
    return code


options = {"num_cpus": spec["num_cpus"], "num_gpus": spec["num_gpus"], "max_retries": 0}
if spec.get("memory"):
    options["memory"] = spec["memory"]
refs = [
    run_task.options(**options).remote(spec["worker"], os.path.join(spec["job_dir"], "task_%d" % i))
    for i in range(spec["tasks"])
]
codes = ray.get(refs)
print("orcapod: %d tasks, %d with a non-zero exit" % (len(codes), sum(1 for c in codes if c != 0)))
