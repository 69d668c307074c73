/** Atomic, checksummed training checkpoints (parameters, optimizer state, manifest). */
package io.bimm.model.checkpoint;
