"""The old hand transcription of the seed (derivation.handwritten) as a test oracle: which
seed line each of its steps stands on and what it found there."""

from derivation.handwritten import AS_WRITTEN, check_steps

#: label of the hand transcription -> 1-based line of the seed file it transcribes
LINES = {"P1": 12, "P2": 14, "J1": 18, "J2": 20, "J3": 22, "J4": 24, "J5": 26, "J6": 28,
         "D1": 32, "v1": 30, "v2": 37, "L1": 39, "L2": 39, "L3": 39, "L4": 39, "L5": 39,
         "D2": 41, "D3": 41, "G1": 43, "G2": 49, "G3": 51, "G4": 55}


def oracle_findings() -> dict:
    """line -> (label, status, repair name or None) of every refuted step of the oracle."""
    out = {}
    for c in check_steps(AS_WRITTEN):
        if c.status == "refuted":
            out[LINES[c.step.label]] = (c.step.label, c.status,
                                        c.repair.name if c.repair else None)
    return out
