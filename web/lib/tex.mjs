/**
 * tex.mjs - the TeX form of the formulas in the schema's help texts (config.mjs) and the guided
 * experiments (experiments.mjs), for KaTeX. The plain-text formulas there stay the reference:
 * they are what screen readers read, what a copy gives and what the CLI prints; these say the
 * same in TeX (tests/js/tex.test.mjs keeps the keys in step). They live in their own module so
 * the schema and the experiments' texts can be edited without touching TeX.
 */

/** By schema key. */
export const SCHEMA_TEX = Object.freeze({
  model: String.raw`\text{residual block: } y=\operatorname{act}\big(x+F(x)\big)`,
  bn: String.raw`\begin{aligned}y&=\gamma\,\frac{x-\mu}{\sqrt{\sigma^2+\varepsilon}}+\beta,\quad \varepsilon=10^{-3}\\ m&\leftarrow 0.99\,m+0.01\,\mu_\text{batch}\end{aligned}`,
  skip: String.raw`y=\operatorname{act}\big(x+F(x)\big),\ F=\text{layer},[\text{bn}],\operatorname{act},\text{layer},[\text{bn}]`,
  clip: String.raw`\|g\|>c\ \Rightarrow\ g\leftarrow g\cdot\frac{c}{\|g\|},\quad \|g\|=\sqrt{\textstyle\sum g^2}`,
  watch: String.raw`P_{15},\ P_{50},\ P_{85}\ \text{of the watched layer's inputs}`,
  act: String.raw`\begin{aligned}\operatorname{relu}(x)&=\max(0,x)\\ \tanh(x)&=\frac{e^{x}-e^{-x}}{e^{x}+e^{-x}}\\ \sigma(x)&=\frac{1}{1+e^{-x}}\end{aligned}`,
  init: String.raw`\begin{aligned}\text{glorot: }&U(-l,l),\ l=\sqrt{\tfrac{6}{\mathit{fan}_\text{in}+\mathit{fan}_\text{out}}}\\ \text{he: }&l=\sqrt{\tfrac{6}{\mathit{fan}_\text{in}}}\\ \text{lecun: }&l=\sqrt{\tfrac{3}{\mathit{fan}_\text{in}}}\end{aligned}`,
  reg: String.raw`\begin{aligned}L_1&=\lambda\sum|w|\\ L_2&=\lambda\sum w^2\\ \text{ElasticNet}&=\lambda\Big(r\sum|w|+(1-r)\sum w^2\Big)\end{aligned}`,
  lam: String.raw`\text{loss}=\text{cross-entropy}+\lambda\,\Omega(w)`,
  l1r: String.raw`\lambda\Big(r\sum|w|+(1-r)\sum w^2\Big)`,
  drop1: String.raw`\begin{aligned}\tilde h&=\frac{m\odot h}{1-p}\\ m_i&\sim\text{Bernoulli}(1-p)\end{aligned}`,
  drop2: String.raw`\begin{aligned}\tilde h&=\frac{m\odot h}{1-p}\\ m_i&\sim\text{Bernoulli}(1-p)\end{aligned}`,
  opt: String.raw`\begin{aligned}m&\leftarrow\beta_1 m+(1-\beta_1)g\\ v&\leftarrow\beta_2 v+(1-\beta_2)g^2\\ w&\leftarrow w-\eta\,\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\cdot\frac{m}{\sqrt v+\varepsilon}\end{aligned}`,
  lr: String.raw`w\leftarrow w-\eta\,g`,
  mom: String.raw`v\leftarrow\mu v-\eta g,\quad w\leftarrow w+v`,
  b1: String.raw`m\leftarrow\beta_1 m+(1-\beta_1)\,g`,
  b2: String.raw`v\leftarrow\beta_2 v+(1-\beta_2)\,g^2`,
  rho: String.raw`\begin{aligned}v&\leftarrow\rho v+(1-\rho)\,g^2\\ w&\leftarrow w-\frac{\eta\,g}{\sqrt{v+\varepsilon}}\end{aligned}`,
  eps: String.raw`\frac{m}{\sqrt v+\varepsilon}`,
  acc0: String.raw`\begin{aligned}a&=a_0+\sum g^2\\ w&\leftarrow w-\frac{\eta\,g}{\sqrt{a+\varepsilon}}\end{aligned}`,
  wd: String.raw`w\leftarrow w-\eta\cdot\mathit{wd}\cdot w\ \text{ (kernels)}`,
  es: String.raw`\text{improvement: } \mathit{val\_loss}<\mathit{best}-\mathit{min\_delta}`,
  mind: String.raw`\mathit{val\_loss}<\mathit{best}-\mathit{min\_delta}`,
  std: String.raw`x'=\frac{x-\mu}{\sigma}`,
  aug: String.raw`(dx,dy)\in\{-k,\dots,k\}^2`,
  noise: String.raw`\operatorname{round}(\mathit{noise}\cdot n)\ \text{labels}\ \tilde y\sim U\{\text{classes in use}\}`,
});

/** The same formulas as plain text, by schema key: what screen readers read and a copy gives. */
export const SCHEMA_PLAIN = Object.freeze({
  model: 'residual block: y = act(x + F(x))',
  bn: 'y = γ·(x − μ)/√(σ² + ε) + β, ε = 0.001; m ← 0.99·m + 0.01·batch value',
  skip: 'y = act(x + F(x)), F = layer, [bn], act, layer, [bn]',
  clip: 'if ‖g‖ > clip: g ← g·clip/‖g‖, with ‖g‖ = √(Σg²)',
  watch: '15th, 50th and 85th percentiles of the watched layer\'s inputs',
  act: 'relu(x) = max(0, x); tanh(x) = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ); sigmoid(x) = 1/(1 + e⁻ˣ)',
  init: 'glorot: U(−l, l), l = √(6/(fan_in + fan_out)); he: l = √(6/fan_in); lecun: l = √(3/fan_in)',
  reg: 'L1 = λ·Σ|w|; L2 = λ·Σw²; ElasticNet = λ·(r·Σ|w| + (1 − r)·Σw²)',
  lam: 'loss = cross-entropy + λ·Ω(w)',
  l1r: 'λ·(r·Σ|w| + (1 − r)·Σw²)',
  drop1: 'h̃ = m ⊙ h / (1 − p), mᵢ ~ Bernoulli(1 − p) (training only)',
  drop2: 'h̃ = m ⊙ h / (1 − p), mᵢ ~ Bernoulli(1 − p) (training only)',
  opt: 'adam: m = β1·m + (1 − β1)·g, v = β2·v + (1 − β2)·g², w −= η·√(1 − β2ᵗ)/(1 − β1ᵗ) · m/(√v + ε)',
  lr: 'w −= η·g',
  mom: 'v = μ·v − η·g, w += v',
  b1: 'm = β1·m + (1 − β1)·g',
  b2: 'v = β2·v + (1 − β2)·g²',
  rho: 'v = ρ·v + (1 − ρ)·g², w −= η·g/√(v + ε)',
  eps: 'm/(√v + ε)',
  acc0: 'a = a₀ + Σg², w −= η·g/√(a + ε)',
  wd: 'w −= η·wd·w (kernels), then the Adam step',
  es: 'improvement: val_loss < best − min_delta',
  mind: 'val_loss < best − min_delta',
  std: 'x′ = (x − μ)/σ',
  aug: '(dx, dy) ∈ {−k, …, k}²',
  noise: 'round(noise·n) labels ỹ drawn uniformly from the classes in use',
});

/** By experiment id (the plain text is the experiment's own formula). */
export const EXPERIMENT_TEX = Object.freeze({
  overfitting: String.raw`\begin{aligned}L_2&=\lambda\sum w^2,\quad \frac{\partial L_2}{\partial w}=2\lambda w\\ \tilde h&=\frac{m\odot h}{1-p}\end{aligned}`,
  'l1-sparsity': String.raw`L_1=\lambda\sum|w|,\qquad \frac{\partial L_1}{\partial w}=\lambda\,\operatorname{sign}(w),\ \operatorname{sign}(0)=0`,
  vanishing: String.raw`\sigma'(x)=\sigma(x)\big(1-\sigma(x)\big)\le\tfrac14`,
  exploding: String.raw`\begin{aligned}m&\leftarrow\mu m-\eta g,\quad w\leftarrow w+m\\ \tanh'(x)&=1-\tanh^2(x)\to0\end{aligned}`,
  initialisers: String.raw`\begin{aligned}\text{glorot: }&l=\sqrt{\tfrac{6}{\mathit{fan}_\text{in}+\mathit{fan}_\text{out}}}\\ \text{he: }&l=\sqrt{\tfrac{6}{\mathit{fan}_\text{in}}}\end{aligned}`,
  'early-stopping': String.raw`\mathit{val\_loss}<\mathit{best}-\mathit{min\_delta}`,
  standardisation: String.raw`x'=\frac{x-\mu}{\sigma}`,
  adamw: String.raw`\begin{aligned}\text{adam}+L_2:&\ g=\nabla\mathcal{L}+2\lambda w,\quad w\leftarrow w-\eta\,\frac{\hat m}{\sqrt{\hat v}+\varepsilon}\\ \text{adamw}:&\ w\leftarrow w-\eta\cdot\mathit{wd}\cdot w,\ \text{then the adam step with }\nabla\mathcal{L}\end{aligned}`,
  'lambda-sweep': String.raw`\text{loss}=\text{cross-entropy}+\lambda\sum w^2,\qquad \lambda\in\{10^{-5},\dots,10^{-1}\}`,
  'dropout-sweep': String.raw`\tilde h=\frac{m\odot h}{1-p},\quad m_i\sim\text{Bernoulli}(1-p),\quad \mathbb{E}[\tilde h]=h`,
  'learning-curve': String.raw`\text{test accuracy}=\frac{\#\{\text{correct test digits}\}}{2000}`,
  'is-it-noise': String.raw`\begin{aligned}\text{glorot: }&l=\sqrt{\tfrac{6}{\mathit{fan}_\text{in}+\mathit{fan}_\text{out}}}\\ \text{he: }&l=\sqrt{\tfrac{6}{\mathit{fan}_\text{in}}}\end{aligned}`,
  'fine-tuning': String.raw`\Delta w_\text{frozen}=0`,
  'transfer-mnist-fashion': String.raw`\Delta w_\text{conv1}=\Delta w_\text{conv2}=0\ \text{(frozen)},\qquad w_\text{fc3}\sim U(-l,l),\ b_\text{fc3}=0`,
  'transfer-fashion-mnist': String.raw`\Delta w_\text{conv1}=\Delta w_\text{conv2}=0\ \text{(frozen)},\qquad w_\text{fc3}\sim U(-l,l),\ b_\text{fc3}=0`,
  'random-labels': String.raw`\tilde y_i\sim U\{\text{classes in use}\}\ \text{for }\operatorname{round}(\mathit{noise}\cdot n)\ \text{training samples}`,
  'overfitting-fashion': String.raw`\begin{aligned}L_2&=\lambda\sum w^2,\quad \frac{\partial L_2}{\partial w}=2\lambda w\\ \tilde h&=\frac{m\odot h}{1-p}\\ \mathcal{L}_\text{CE}&=-\log p(\text{true class})\end{aligned}`,
  'batch-norm': String.raw`\begin{aligned}\mathrm{BN}(x)&=\gamma\,\frac{x-\mu_B}{\sqrt{\sigma_B^2+\varepsilon}}+\beta\\ \hat\mu&\leftarrow0.99\,\hat\mu+0.01\,\mu_B\quad\text{(inference uses }\hat\mu,\hat\sigma^2)\\ \sigma'(x)&\le\tfrac14\end{aligned}`,
  'glorot-init': String.raw`\begin{aligned}\text{naive: }&w\sim N(0,0.05^2)\\ \text{glorot: }&w\sim U(-l,l),\ l=\sqrt{\tfrac{6}{\mathit{fan}_\text{in}+\mathit{fan}_\text{out}}}\\ \operatorname{Var}(h_k)&\approx n\operatorname{Var}(w)\operatorname{Var}(h_{k-1})\end{aligned}`,
  clipping: String.raw`\begin{aligned}\|g\|&=\sqrt{\textstyle\sum g^2}\\ g&\leftarrow g\cdot\frac{\mathit{clip}}{\|g\|}\ \text{ if }\|g\|>\mathit{clip},\qquad \|\Delta w\|\le\eta\cdot\mathit{clip}\end{aligned}`,
  residual: String.raw`\begin{aligned}\text{plain: }&y=\operatorname{relu}\big(F(x)\big)\\ \text{residual: }&y=\operatorname{relu}\big(x+F(x)\big),\quad \frac{\partial y}{\partial x}\ni I\end{aligned}`,
});
