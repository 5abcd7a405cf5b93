"""What every long training script here shares (CLIP, VAE, the scenes' U-Net, the digit U-Net): resume from the work
folder's state.pt, one AdamW step per batch with the gradient norm clipped to 1, an optional EMA copy of the model,
the running loss on a progress bar, a checkpoint every `every` steps and at the end, and a wall-clock budget (a run
stopped by it resumes where it stopped). Each script brings its own loss, learning rate and checkpoint."""
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch


def warmup(step: int, peak: float, warmup_steps: int) -> float:
    """A linear warm-up to `peak` over warmup_steps, then constant."""
    return peak * min(1.0, (step + 1) / warmup_steps)


def phased_cosine(step: int, peak: float, warmup_steps: int, joint_steps: int, steps: int) -> float:
    """Two phases (steps < joint_steps: everything learns; after: a part is locked), each warming up linearly to
    `peak`, then decaying along a cosine to 10 % of it over the phase's length."""
    start, length = (0, joint_steps) if step < joint_steps else (joint_steps, max(1, steps - joint_steps))
    warm = min(1.0, (step - start + 1) / warmup_steps)
    cosine = 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, (step - start) / length)))
    return peak * warm * cosine


@dataclass
class Training:
    """One run. modules: name in state.pt -> module (the names the scripts have always written, so older state
    files resume). ema: (the EMA copy, the model it follows, the largest decay) or None."""
    modules: dict
    optimizer: torch.optim.Optimizer
    steps: int
    work_dir: Path
    generator: torch.Generator | None = None
    ema: tuple | None = None
    extra_state: dict = field(default_factory=dict)          # saved alongside, e.g. the config

    @property
    def state_path(self) -> Path:
        return self.work_dir / "state.pt"

    def resume(self) -> int:
        """The step to start from: the saved one, or 0 with no state file."""
        if not self.state_path.exists():
            return 0
        state = torch.load(self.state_path, weights_only=True)
        for name, module in self.modules.items():
            module.load_state_dict(state[name])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.generator is not None:
            self.generator.set_state(state["generator"])
        print(f"resumed from {self.state_path} at step {state['step']}", flush=True)
        return state["step"]

    def save_state(self, step: int) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        state = {name: module.state_dict() for name, module in self.modules.items()}
        state.update(optimizer=self.optimizer.state_dict(), step=step, **self.extra_state)
        if self.generator is not None:
            state["generator"] = self.generator.get_state()
        torch.save(state, self.state_path)

    def update_ema(self, step: int) -> None:
        ema, model, largest = self.ema
        decay = min(largest, (1 + step) / (10 + step))                 # short memory early, as diffusers' EMAModel
        with torch.no_grad():
            for p_ema, p in zip(ema.parameters(), model.parameters()):
                p_ema.lerp_(p, 1 - decay)


def run(training: Training, loss_at: Callable[[int], torch.Tensor], learning_rate: Callable[[int], float],
        checkpoint: Callable[[int, bool], None], max_minutes: float, every: int,
        before_step: Callable[[int], None] | None = None, after_step: Callable[[], dict] | None = None,
        precision: int = 4, bar_interval: float = 30) -> int:
    """Train from the saved step to training.steps: loss_at(step) is the batch's loss; checkpoint(step, final)
    writes what the app loads (the state file is written here first). after_step() may return more numbers for the
    progress bar. Returns the step reached."""
    from tqdm import tqdm

    step = training.resume()
    params = [p for group in training.optimizer.param_groups for p in group["params"]]
    started, running = time.time(), None
    bar = tqdm(range(step, training.steps), initial=step, total=training.steps, file=sys.stdout,
               mininterval=bar_interval)
    for step in bar:
        if before_step is not None:
            before_step(step)
        rates = learning_rate(step)                  # one rate for all parameter groups, or one per group
        rates = rates if isinstance(rates, (list, tuple)) else [rates] * len(training.optimizer.param_groups)
        for group, rate in zip(training.optimizer.param_groups, rates):
            group["lr"] = rate
        loss = loss_at(step)
        training.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        training.optimizer.step()
        if training.ema is not None:
            training.update_ema(step)
        shown = after_step() if after_step is not None else {}
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        bar.set_postfix(loss=f"{running:.{precision}f}", **shown, refresh=False)
        step += 1
        if step % every == 0:
            training.save_state(step)
            checkpoint(step, False)
            print(f"step {step} loss {running:.{precision}f} elapsed {(time.time() - started) / 60:.1f} min", flush=True)
        if time.time() - started > max_minutes * 60:
            print(f"time budget of {max_minutes} min reached at step {step}", flush=True)
            break
    training.save_state(step)
    checkpoint(step, True)
    return step
