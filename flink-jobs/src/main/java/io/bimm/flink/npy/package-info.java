/** A minimal NumPy {@code .npy} writer for inspecting targets. */
package io.bimm.flink.npy;
