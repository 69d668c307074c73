package io.bimm.model;

/** Training stage of SPEC 5: which branch losses are optimized. */
public enum Stage {
    /** Images only, {@code L_V}. */
    VENTRAL,
    /** Both branches, {@code L = L_V + lambda L_D}. */
    JOINT,
    /** Video only, {@code L_D} (the paper's BIMM-Dorsal ablation). */
    DORSAL;

    /** Whether this stage trains the ventral branch. */
    public boolean usesVentral() {
        return this != DORSAL;
    }

    /** Whether this stage trains the dorsal branch. */
    public boolean usesDorsal() {
        return this != VENTRAL;
    }
}
