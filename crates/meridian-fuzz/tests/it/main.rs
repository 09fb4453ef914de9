//! The fuzz targets on stable: every crash file and seed replayed (`replay`).

mod replay;
mod seeds;
