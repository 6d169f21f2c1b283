#!/usr/bin/env bash
# The GPU measurements as batched commands for a short GPU lease, run from the repository root (their
# figures: docs/benchmarks/speed.md; the raw logs: docs/gpu-runs/).
#
#   OUT=runs/gpu bash benchmarks/gpu_session.sh speed [SECONDS]   speed, profile and scale benchmarks
#   OUT=runs/gpu bash benchmarks/gpu_session.sh train [SECONDS]   a demo-model training chunk, then its evaluation
#   OUT=runs/gpu bash benchmarks/gpu_session.sh regions [SECONDS] region-scoped protection, ensembles, JPEG
#   OUT=runs/gpu bash benchmarks/gpu_session.sh issue24 [SECONDS] the GPU speed issue in one go: speed (median
#       of 3, demo and big-lama-arch, 512 px), a profile, and batch throughput on Ray (1 and 2 actors)
#   OUT=runs/gpu bash benchmarks/gpu_session.sh issue32 [SECONDS] the same speed runs and profile, one iteration
#       eager against a CUDA graph and batched (gpu_iteration.py), and a local batch's throughput
#   OUT=runs/gpu bash benchmarks/gpu_session.sh graphs [SECONDS] the CUDA tests (graph replays against the eager
#       loop), big-lama-arch speed and a 20-iteration profile on the graph path, and a local batch's throughput
#
# SECONDS is the whole command's budget: every stage is time-limited so the command ends inside it,
# and a failed stage never stops the next. Everything lands in $OUT (a log per mode, the trained
# weights split into parts under 16 MB, the training log, the artefact grid).
set -u
mode=${1:?usage: gpu_session.sh speed|train|regions|issue24|issue32|graphs [SECONDS]}
budget=${2:-540}
out=${OUT:-runs/gpu}
device=${GPU_SESSION_DEVICE:-cuda}  # cpu: a dry run of the script itself
mkdir -p "$out"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
log="$out/session-$mode.log"
t0=$(date +%s)

left() { echo $(( budget - ($(date +%s) - t0) )); }

stage() {  # stage NAME CAP_SECONDS COMMAND...: appended to the log, limited to min(CAP, time left)
    local name=$1 cap=$2 limit started
    shift 2
    limit=$(left)
    (( cap < limit )) && limit=$cap
    if (( limit < 10 )); then echo "=== $name: skipped, no time left" | tee -a "$log"; return; fi
    started=$(date +%s)
    echo "=== $name (limit ${limit} s): $*" >> "$log"
    timeout "$limit" "$@" >> "$log" 2>&1
    echo "=== $name: rc $? in $(( $(date +%s) - started )) s" | tee -a "$log"
}

stage environment 20 bash -c 'nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm --format=csv;
    python3 -c "import torch; print(torch.__version__, torch.version.cuda, torch.cuda.get_device_name())"'

speed_stages() {  # speed_stages DEMO_CAP ARCH_CAP PROFILE_CAP: protect_speed at 512 px (median of 3), a profile
    stage speed-demo-512 "$1" python3 benchmarks/protect_speed.py --device "$device" --size 512 --json
    stage speed-big-lama-arch-512 "$2" python3 benchmarks/protect_speed.py --device "$device" --size 512 \
        --model big-lama-arch --json
    stage profile-big-lama-arch-512 "$3" python3 benchmarks/profile_protect.py --device "$device" --size 512 \
        --model big-lama-arch --iterations 5
}

case $mode in
speed)
    speed_stages 70 110 50
    stage scale-big-lama-arch 150 python3 benchmarks/protect_scale.py --device "$device" --model big-lama-arch \
        --sizes 512 1024 2048 4096 --json
    stage scale-demo 80 python3 benchmarks/protect_scale.py --device "$device" --model demo \
        --sizes 512 1024 2048 4096 --json
    ;;
issue24)
    speed_stages 80 120 60
    stage weights-big-lama-arch 30 python3 -c "import sys, torch; sys.path.insert(0, 'benchmarks');
from protect_speed import get_model; torch.save(get_model('big-lama-arch', torch.device('cpu')).network.state_dict(),
'$out/big-lama-arch.pth')"
    stage throughput-ray 200 python3 benchmarks/cluster_batch.py --device "$device" --model "$out/big-lama-arch.pth" \
        --images 16 --size 512 --iterations 20 --actors 1 2 --gpus-per-actor 0.5 --json
    rm -f "$out/big-lama-arch.pth"
    ;;
issue32)
    speed_stages 45 75 45
    stage iteration-big-lama-arch-512 150 python3 benchmarks/gpu_iteration.py --device "$device" --size 512 \
        --model big-lama-arch
    stage weights-big-lama-arch 20 python3 -c "import sys, torch; sys.path.insert(0, 'benchmarks');
from protect_speed import get_model; torch.save(get_model('big-lama-arch', torch.device('cpu')).network.state_dict(),
'$out/big-lama-arch.pth')"
    stage throughput-batch 70 python3 benchmarks/cluster_batch.py --device "$device" --model "$out/big-lama-arch.pth" \
        --images 16 --size 512 --iterations 20 --actors --json
    rm -f "$out/big-lama-arch.pth"
    ;;
graphs)
    stage cuda-tests 90 python3 -m pytest -q -p no:cacheprovider tests/test_cuda.py
    stage speed-big-lama-arch-512 70 python3 benchmarks/protect_speed.py --device "$device" --size 512 \
        --model big-lama-arch --json
    stage profile-big-lama-arch-512 45 python3 benchmarks/profile_protect.py --device "$device" --size 512 \
        --model big-lama-arch --iterations 20
    stage weights-big-lama-arch 20 python3 -c "import sys, torch; sys.path.insert(0, 'benchmarks');
from protect_speed import get_model; torch.save(get_model('big-lama-arch', torch.device('cpu')).network.state_dict(),
'$out/big-lama-arch.pth')"
    stage throughput-batch 70 python3 benchmarks/cluster_batch.py --device "$device" --model "$out/big-lama-arch.pth" \
        --images 8 --size 512 --iterations 20 --actors --json
    rm -f "$out/big-lama-arch.pth"
    ;;
train)
    run=runs/gpu-demo
    eval_reserve=150
    minutes=$(python3 -c "print(max(0.5, ($(left) - $eval_reserve - 25) / 60))")
    stage train $(( $(left) - eval_reserve )) python3 training/train_demo.py --device "$device" --precision bf16 \
        --ngf 48 --n-blocks 8 --crop 256 --batch 16 --gan-start-step 300 --threads 8 \
        --minutes "$minutes" --out "$run"
    cp "$run/log.jsonl" "$out/train-log.jsonl" 2>/dev/null
    cp "$run/settings.json" "$out/train-settings.json" 2>/dev/null
    [ -f "$run/demo-lama.safetensors" ] && split -b 15M -d "$run/demo-lama.safetensors" "$out/gpu-demo.part"
    stage quality-gpu-demo 60 python3 benchmarks/demo_quality.py --device "$device" \
        --model "$run/demo-lama.safetensors" --grid "$out/gpu-demo-grid.png" --json
    stage suite-gpu-demo 45 python3 benchmarks/robustness.py --device "$device" --model "$run/demo-lama.safetensors" \
        --levels standard --size 256 --json
    stage quality-bundled-demo 45 python3 benchmarks/demo_quality.py --device "$device" --model demo --json
    ;;
regions)
    stage regions-big-lama-arch 80 python3 benchmarks/protect_regions.py --device "$device" --model big-lama-arch \
        --iterations 20 --json
    stage regions-demo 50 python3 benchmarks/protect_regions.py --device "$device" --model demo --iterations 20 --json
    stage region-quality-demo 90 python3 benchmarks/region_quality.py --device "$device" --model demo --json
    stage ensemble-cost-512 50 python3 benchmarks/ensemble.py cost --device "$device" --size 512 --iterations 20 \
        --json
    stage speed-big-lama-arch-512 60 python3 benchmarks/protect_speed.py --device "$device" --size 512 \
        --model big-lama-arch --json
    stage jpeg-aware-big-lama-arch 40 python3 benchmarks/jpeg_aware.py --device "$device" --model big-lama-arch \
        --iterations 20 --photos chelsea.png --time-only --json
    ;;
*)
    echo "unknown mode $mode (speed, issue24, issue32, graphs, train or regions)" >&2
    exit 2
    ;;
esac
echo "=== done in $(( $(date +%s) - t0 )) s" | tee -a "$log"
