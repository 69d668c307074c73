package io.bimm.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * libtorch ops that DJL 0.36 does not reach, run as one-line TorchScript modules that are written
 * here (source text, no Python needed) and loaded once per process.
 *
 * <p>DJL's PyTorch JNI maps only nine dtypes ({@code GetScalarTypeFromDType} has no bfloat16, and
 * asking for one aborts the JVM) and its {@code toType} runs under a {@code NoGradGuard}, so it
 * cuts the autograd graph. A TorchScript method run in training mode ({@code moduleRunMethod} with
 * {@code is_train}) records autograd like any other op, so the casts here are differentiable.
 */
final class TorchScriptOps {

    /** c10 ScalarType codes as TorchScript's serialized code writes them. */
    private static final int FLOAT32 = 6;

    private static final int BFLOAT16 = 15;

    private static final NDManager MANAGER = NDManager.newBaseManager();
    private static volatile PtSymbolBlock toBf16;
    private static volatile PtSymbolBlock toFloat32;
    private static volatile PtSymbolBlock attention;

    private TorchScriptOps() {}

    /** {@code x.to(torch.bfloat16)}, differentiable when grad mode is on. */
    static NDArray toBf16(NDArray x) {
        if (toBf16 == null) {
            toBf16 = load("ToBf16", "    x: Tensor", "torch._to_copy(x, dtype=" + BFLOAT16 + ")");
        }
        return run(toBf16, new NDList(x));
    }

    /** {@code x.to(torch.float32)}, differentiable when grad mode is on. */
    static NDArray toFloat32(NDArray x) {
        if (toFloat32 == null) {
            toFloat32 =
                    load("ToFloat32", "    x: Tensor", "torch._to_copy(x, dtype=" + FLOAT32 + ")");
        }
        return run(toFloat32, new NDList(x));
    }

    /**
     * {@code softmax(q k^T / sqrt(hd)) v} by {@code torch.scaled_dot_product_attention}: a fused
     * kernel (flash or memory-efficient attention on CUDA, flash attention on the CPU) that never
     * keeps the {@code (B, H, N, N)} scores for the backward. Inputs {@code (B, H, N, hd)}, all
     * float32 or all bfloat16.
     */
    static NDArray attention(NDArray q, NDArray k, NDArray v) {
        if (attention == null) {
            attention =
                    load(
                            "Attention",
                            "    q: Tensor,\n    k: Tensor,\n    v: Tensor",
                            "torch.scaled_dot_product_attention(q, k, v)");
        }
        return run(attention, new NDList(q, k, v));
    }

    /** Runs {@code module}'s forward; the result lives in the first input's manager. */
    private static NDArray run(PtSymbolBlock module, NDList inputs) {
        // always without DJL's inference guard: autograd follows this thread's grad mode, and
        // the result is an ordinary tensor that later ops may save for a backward
        return IValueUtils.forward(module, inputs, true).head();
    }

    /** Loads a module whose forward takes {@code params} and returns {@code expression}. */
    private static synchronized PtSymbolBlock load(String name, String params, String expr) {
        String code =
                "class "
                        + name
                        + "(Module):\n"
                        + "  __parameters__ = []\n"
                        + "  __buffers__ = []\n"
                        + "  training : bool\n"
                        + "  def forward(self: __torch__."
                        + name
                        + ",\n"
                        + params
                        + ") -> Tensor:\n"
                        + "    return "
                        + expr
                        + "\n";
        try {
            byte[] archive = archive(name, code);
            return JniUtils.loadModule(
                    (PtNDManager) MANAGER, new ByteArrayInputStream(archive), true, false);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot load the TorchScript op " + name, e);
        }
    }

    /**
     * A TorchScript archive of one parameterless module: its pickled object {@code
     * __torch__.<name>} with {@code training = True}, its code, no constants, format version 3.
     */
    static byte[] archive(String name, String code) throws IOException {
        ByteArrayOutputStream pkl = new ByteArrayOutputStream();
        pkl.write(new byte[] {(byte) 0x80, 2, 'c'}); // PROTO 2, GLOBAL
        pkl.write(("__torch__\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        // BINPUT 0, EMPTY_TUPLE, NEWOBJ, EMPTY_DICT, BINPUT 1, BINUNICODE "training"
        pkl.write(new byte[] {'q', 0, ')', (byte) 0x81, '}', 'q', 1, 'X', 8, 0, 0, 0});
        pkl.write("training".getBytes(StandardCharsets.US_ASCII));
        // BINPUT 2, NEWTRUE, SETITEM, BUILD, STOP
        pkl.write(new byte[] {'q', 2, (byte) 0x88, 's', 'b', '.'});
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            stored(zip, "archive/data.pkl", pkl.toByteArray());
            stored(zip, "archive/code/__torch__.py", code.getBytes(StandardCharsets.UTF_8));
            stored(zip, "archive/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
            stored(zip, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
            stored(zip, "archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }
}
