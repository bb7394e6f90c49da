"""One plastic synapse between a presynaptic train and a driven neuron, in
NEST and in spikec: what stdp.py and synapse_models.py compare.

A presynaptic train (a spike_generator through a parrot neuron in NEST; a
SpikeSourceArray in spikec) meets one iaf_psc_delta neuron (IF_curr_delta,
rest = reset = -65 mV, no refractory period) that a second train drives
over threshold; each returns the plastic synapse's final weight.
"""

import csv
import os
import subprocess
import tempfile

# (name, pre spike times, drive times, delay ms, w0 as a fraction of Wmax)
SCENARIOS = [
    ("causal", [10.0, 40.0], [14.0], 1.0, 0.5),
    ("acausal", [10.0, 40.0], [5.0], 1.0, 0.5),
    ("mixed", [10.0, 20.0, 30.0, 60.0], [3.0, 14.0, 25.0], 2.0, 0.5),
    ("long delay", [10.0, 40.0], [14.0], 3.5, 0.5),
    ("saturating", [10.0 + 20 * k for k in range(20)], [12.0 + 20 * k for k in range(20)], 1.0, 0.2),
]


def nest_weight(model, syn_params, post_params, pre, drive, delay, w0):
    """NEST `model` with `syn_params`, the neuron with `post_params` added."""
    import nest

    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.resolution = 0.1
    # The parrot relays each spike one step (0.1 ms) later: send it one
    # step early so that it fires at the times spikec's source fires at.
    sg_pre = nest.Create("spike_generator", params={"spike_times": [round(t - 0.1, 1) for t in pre]})
    sg_drive = nest.Create("spike_generator", params={"spike_times": drive})
    parrot = nest.Create("parrot_neuron")
    post = nest.Create(
        "iaf_psc_delta",
        params=dict({"E_L": -65.0, "V_reset": -65.0, "V_th": -50.0, "V_m": -65.0, "t_ref": 0.0,
                     "tau_m": 20.0, "C_m": 1000.0}, **post_params),
    )
    nest.Connect(sg_pre, parrot, syn_spec={"delay": 0.1})
    nest.Connect(sg_drive, post, syn_spec={"weight": 20.0, "delay": 1.0})
    nest.CopyModel(model, "plastic", syn_params)
    nest.Connect(parrot, post, syn_spec={"synapse_model": "plastic", "weight": w0, "delay": delay})
    nest.Simulate(max(pre + drive) + 50.0)
    return nest.GetConnections(parrot, post).get("weight")


def spikec_weight(spikec, synapse, pre, drive, delay, w0):
    """spikec with the projection's `synapse ...` clause, weight `w0` mV."""
    ms = lambda ts: ", ".join("%g ms" % t for t in ts)
    src = f"""network Pair {{
  timestep 0.1 ms
  population Pre = SpikeSourceArray[1] {{ spike_times = [{ms(pre)}] }}
  population Drive = SpikeSourceArray[1] {{ spike_times = [{ms(drive)}] }}
  population Post = IF_curr_delta[1] {{ tau_refrac = 0 ms }}
  connect Drive -> Post : all_to_all() {{ port excitatory, weight 20 mV, delay 1 ms }}
  connect Pre -> Post : all_to_all() {{ port excitatory, weight {w0} mV, delay {delay} ms,
    synapse {synapse} }}
  record Post.spikes
}}
"""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "pair.snn")
        with open(path, "w") as f:
            f.write(src)
        out = os.path.join(d, "out")
        subprocess.run([spikec, "sim", path, "--duration", "%g ms" % (max(pre + drive) + 50.0),
                        "--engine", "interp", "--out", out], check=True, capture_output=True)
        with open(os.path.join(out, "weights.csv")) as f:
            return float(next(csv.DictReader(f))["weight"])
