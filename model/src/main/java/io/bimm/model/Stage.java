package io.bimm.model;

/** Training stage of SPEC 5: which branch losses are optimized. */
public enum Stage {
    /** Images only, {@code L_V}. */
    VENTRAL,
    /** Both branches, {@code L = L_V + lambda L_D}. */
    JOINT,
    /** Video only, {@code L_D} (the paper's BIMM-Dorsal ablation). */
    DORSAL;

    /** Parses {@code ventral}, {@code joint} or {@code dorsal} (case-insensitive). */
    public static Stage of(String name) {
        for (Stage s : values()) {
            if (s.name().equalsIgnoreCase(name.trim())) {
                return s;
            }
        }
        throw new IllegalArgumentException(
                "Unknown stage '" + name + "', expected one of ventral, joint, dorsal.");
    }

    /** Whether this stage trains {@code branch}. */
    public boolean uses(Branch branch) {
        return branch == Branch.VENTRAL ? usesVentral() : usesDorsal();
    }

    /** Whether this stage trains the ventral branch. */
    public boolean usesVentral() {
        return this != DORSAL;
    }

    /** Whether this stage trains the dorsal branch. */
    public boolean usesDorsal() {
        return this != VENTRAL;
    }
}
