package io.bimm.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.util.HashMap;
import java.util.Map;

/**
 * AdamW as {@code torch.optim.AdamW} computes it (decoupled decay, bias-corrected moments), betas
 * (0.9, 0.95) and no decay on 1-D parameters, biases and mask tokens (SPEC 5). Moments live in the
 * model's manager; every temporary of an update lives in the step's manager.
 */
public final class AdamW {

    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;
    private final Map<String, State> states = new HashMap<>();

    /** Creates the optimizer. */
    public AdamW(float beta1, float beta2, float eps, float weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** Per-parameter state: first and second moments and the number of updates applied. */
    public static final class State {
        /** First moment. */
        public final NDArray m;

        /** Second moment. */
        public final NDArray v;

        /** Updates applied so far. */
        public long step;

        State(NDArray m, NDArray v, long step) {
            this.m = m;
            this.v = v;
            this.step = step;
        }
    }

    /** Whether weight decay applies: not to 1-D parameters, biases or mask tokens. */
    public static boolean decays(String name, Parameter p) {
        return p.getShape().dimension() > 1
                && !name.endsWith("bias")
                && !name.contains("mask_token");
    }

    /** The state of a parameter, created with zero moments in {@code owner} on first use. */
    public State state(String name, NDArray weight, NDManager owner) {
        return states.computeIfAbsent(
                name,
                k -> {
                    NDArray m = owner.zeros(weight.getShape(), weight.getDataType());
                    NDArray v = owner.zeros(weight.getShape(), weight.getDataType());
                    return new State(m, v, 0);
                });
    }

    /** All states by parameter name (for checkpoints). */
    public Map<String, State> states() {
        return states;
    }

    /** Replaces the state of a parameter (checkpoint load). */
    public void putState(String name, NDArray m, NDArray v, long step) {
        State old = states.put(name, new State(m, v, step));
        if (old != null) {
            old.m.close();
            old.v.close();
        }
    }

    /** Applies one update in place; {@code grad} already scaled (clipping), in {@code scope}. */
    public void update(
            String name, Parameter p, NDArray grad, double lr, NDManager owner, NDManager scope) {
        NDArray w = p.getArray();
        State s = state(name, w, owner);
        s.step++;
        NDArray g = grad;
        if (decays(name, p) && weightDecay > 0) {
            w.muli(scope.create((float) (1 - lr * weightDecay)));
        }
        s.m.muli(scope.create(beta1)).addi(g.mul(scope.create(1 - beta1)));
        s.v.muli(scope.create(beta2)).addi(g.square().mul(scope.create(1 - beta2)));
        double bc1 = 1 - Math.pow(beta1, s.step);
        double bc2 = 1 - Math.pow(beta2, s.step);
        NDArray denom = s.v.sqrt();
        denom.attach(scope);
        denom = denom.div(scope.create((float) Math.sqrt(bc2))).add(scope.create(eps));
        NDArray delta = s.m.div(denom);
        delta.attach(scope);
        w.subi(delta.mul(scope.create((float) (lr / bc1))));
    }
}
