//! Choosing the burn device of the inner loops at run time.

use burn::tensor::Device;

/// Parses `cpu` (burn's flex backend, the default) or `wgpu` (Vulkan/Metal/DX12 GPUs, in
/// builds with the `wgpu` cargo feature).
///
/// # Errors
/// An unknown name, or `wgpu` in a build without the feature.
pub fn parse(name: &str) -> anyhow::Result<Device> {
    match name {
        "cpu" | "flex" => Ok(Device::flex()),
        #[cfg(feature = "wgpu")]
        "wgpu" | "gpu" => Ok(Device::wgpu(Default::default())),
        #[cfg(not(feature = "wgpu"))]
        "wgpu" | "gpu" => anyhow::bail!(
            "this gevo was built without GPU support: rebuild with `cargo build --release --features wgpu`"
        ),
        other => anyhow::bail!("unknown device `{other}` (known: cpu, wgpu)"),
    }
}
