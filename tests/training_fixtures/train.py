"""A stand-in for jobs/train.py in fast tests: same CLI and files, no torch.

Writes status.json and metrics.jsonl for --steps steps (FAKE_STEP_S seconds each), honours
--resume <run dir> (continues the step count from its checkpoints/last.pt), --max-steps, and
SIGTERM (phase "cancelled", last.pt saved, exit 143). FAKE_FAIL=1 fails at step 2.
"""
import argparse
import json
import os
import signal
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--config", required=True)
p.add_argument("--run-dir", required=True)
p.add_argument("--resume", default=None)
p.add_argument("--max-steps", type=int, default=6)
p.add_argument("--max-epochs", type=int, default=None)
p.add_argument("--device", default="auto")
a = p.parse_args()
os.makedirs(os.path.join(a.run_dir, "checkpoints"), exist_ok=True)
status = {"job": "train", "phase": "starting", "step": 0, "epoch": 0, "total_steps": a.max_steps,
          "eta_seconds": None, "error": None, "message": None, "mlflow_run_id": None,
          "pid": os.getpid(), "started_at": int(time.time() * 1000), "ended_at": None}
step = 0
stopping = []


def write():
    status["updated_at"] = int(time.time() * 1000)
    tmp = os.path.join(a.run_dir, "status.json.tmp")
    with open(tmp, "w") as f:
        json.dump(status, f)
    os.replace(tmp, os.path.join(a.run_dir, "status.json"))


def save_last():
    with open(os.path.join(a.run_dir, "checkpoints", "last.pt"), "w") as f:
        json.dump({"step": step}, f)


def on_term(sig, frame):
    stopping.append(sig)
    status.update(phase="cancelled", message="stopping on SIGTERM")
    write()


signal.signal(signal.SIGTERM, on_term)
with open(a.config) as f:
    assert "model" in f.read(), "config was not readable"
if a.resume:
    with open(os.path.join(a.resume, "checkpoints", "last.pt")) as f:
        step = json.load(f)["step"]
    status["resumed_from_step"] = step
print(f"[starting] config {a.config}", flush=True)
status["phase"] = "training"
write()
delay = float(os.environ.get("FAKE_STEP_S", "0.05"))
while step < a.max_steps:
    if stopping:
        save_last()
        status.update(ended_at=int(time.time() * 1000))
        write()
        print(f"[cancelled] at step {step}", flush=True)
        sys.exit(143)
    time.sleep(delay)
    step += 1
    if os.environ.get("FAKE_FAIL") == "1" and step == 2:
        status.update(phase="failed", error="CUDA out of memory (fake)", ended_at=int(time.time() * 1000))
        write()
        print("[failed] CUDA out of memory (fake)", file=sys.stderr, flush=True)
        sys.exit(1)
    with open(os.path.join(a.run_dir, "metrics.jsonl"), "a") as f:
        for name, value in (("loss", 1.0 / step), ("learning_rate", 0.001)):
            f.write(json.dumps({"step": step, "epoch": step / 3, "name": name, "value": value,
                                "ts": int(time.time() * 1000)}) + "\n")
    status.update(step=step, epoch=step // 3 + 1, eta_seconds=(a.max_steps - step) * delay)
    write()
    print(f"step {step}/{a.max_steps} loss {1.0 / step:.4f}", flush=True)
save_last()
with open(os.path.join(a.run_dir, "metrics.jsonl"), "a") as f:
    f.write(json.dumps({"step": step, "epoch": step / 3, "name": "eval_accuracy", "value": 0.75,
                        "ts": int(time.time() * 1000)}) + "\n")
open(os.path.join(a.run_dir, "model.onnx"), "wb").write(b"onnx")
status.update(phase="succeeded", ended_at=int(time.time() * 1000), eta_seconds=0,
              final_metrics={"eval_accuracy": 0.75})
write()
print(f"[succeeded] {step} steps", flush=True)
