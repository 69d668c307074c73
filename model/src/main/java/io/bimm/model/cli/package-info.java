/** The model jar's own command line: bench train, checkpoint inspection, export, engine info. */
package io.bimm.model.cli;
