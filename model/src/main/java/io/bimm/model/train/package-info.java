/** Masked batches, the AdamW training step and the learning-rate schedule (SPEC 5). */
package io.bimm.model.train;
