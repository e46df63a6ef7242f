// r1-reward tensor engine: the one place that calls libtorch.
//
// Every tensor crosses into JavaScript as a type-tagged plain object wrapping (napi_wrap) a Holder that
// owns one reference to an at::Tensor. `dispose` drops that reference and removes the wrap at once,
// which frees the Holder and Node's finalizer record too, so a long synchronous loop leaves only JS
// garbage that V8 collects as it goes; the tag stays behind as the tombstone that tells a disposed
// tensor from a non-tensor. The wrap's finalizer (GC) is only a safety net. Every entry point runs
// inside `Guarded`, which turns c10::Error (libtorch's TORCH_CHECK failures) and std::exception into a
// JS Error carrying libtorch's message, so no input from JS can abort the process.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/ScalarOps.h>
#include <ATen/core/grad_mode.h>  // NoGradGuard, GradMode: ATen.h stopped including it in libtorch 2.x
#include <ATen/Version.h>
#include <napi.h>
#include <torch/version.h>

#include <dlfcn.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace {

// ---------------------------------------------------------------------------------------------
// Tensor handles
// ---------------------------------------------------------------------------------------------

struct Holder {
  at::Tensor tensor;
  int64_t accountedBytes;  // reported to V8 so the GC safety net sees native memory pressure
};

// Off while a JS scope() is open: its tensors are freed deterministically, and reporting their bytes
// would only make V8 run needless full collections in the middle of a training step.
bool gAccountMemory = true;

const napi_type_tag kTensorTag = {0x7231726577617264ULL, 0x656e67696e655431ULL};

int64_t cpuBytes(const at::Tensor& t) {
  if (!t.defined() || !t.device().is_cpu()) return 0;
  return static_cast<int64_t>(t.numel()) * static_cast<int64_t>(t.element_size());
}

// The wrap's finalizer: runs only for a tensor that was never disposed (dispose removes the wrap).
void releaseHolder(napi_env env, void* data, void* /*hint*/) {
  auto* holder = static_cast<Holder*>(data);
  if (holder->accountedBytes != 0) {
    Napi::MemoryManagement::AdjustExternalMemory(env, -holder->accountedBytes);
  }
  delete holder;
}

Napi::Value Wrap(Napi::Env env, at::Tensor tensor) {
  int64_t bytes = gAccountMemory ? cpuBytes(tensor) : 0;
  auto handle = Napi::Object::New(env);
  handle.TypeTag(&kTensorTag);
  auto* holder = new Holder{std::move(tensor), bytes};
  napi_status status = napi_wrap(env, handle, holder, releaseHolder, nullptr, nullptr);
  if (status != napi_ok) {
    delete holder;
    NAPI_THROW_IF_FAILED(env, status, Napi::Value());
  }
  if (bytes != 0) Napi::MemoryManagement::AdjustExternalMemory(env, bytes);
  return handle;
}

Napi::Value WrapList(Napi::Env env, const std::vector<at::Tensor>& tensors) {
  auto array = Napi::Array::New(env, tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) array.Set(static_cast<uint32_t>(i), Wrap(env, tensors[i]));
  return array;
}

bool IsTensor(const Napi::Value& value) {
  return value.IsObject() && value.As<Napi::Object>().CheckTypeTag(&kTensorTag);
}

// The live Holder of a tensor handle, or nullptr for a disposed one (its wrap was removed).
Holder* HolderOf(const Napi::Value& value, const char* what) {
  if (!IsTensor(value)) {
    throw Napi::TypeError::New(value.Env(), std::string(what) + " must be a Tensor");
  }
  void* data = nullptr;
  if (napi_unwrap(value.Env(), value, &data) != napi_ok) return nullptr;
  return static_cast<Holder*>(data);
}

at::Tensor& TensorOf(const Napi::Value& value, const char* what = "argument") {
  Holder* holder = HolderOf(value, what);
  if (holder == nullptr) {
    throw Napi::Error::New(value.Env(), std::string(what) +
                                            " is a disposed Tensor (it was freed by dispose() or by "
                                            "the scope that created it; keep() it or return it from the scope)");
  }
  return holder->tensor;
}

c10::optional<at::Tensor> OptionalTensor(const Napi::Value& value, const char* what) {
  if (value.IsUndefined() || value.IsNull()) return c10::nullopt;
  return TensorOf(value, what);
}

std::vector<at::Tensor> TensorList(const Napi::Value& value, const char* what) {
  if (!value.IsArray()) throw Napi::TypeError::New(value.Env(), std::string(what) + " must be an array of Tensors");
  auto array = value.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) out.push_back(TensorOf(array.Get(i), what));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Plain arguments
// ---------------------------------------------------------------------------------------------

double Number(const Napi::Value& value, const char* what) {
  if (!value.IsNumber()) throw Napi::TypeError::New(value.Env(), std::string(what) + " must be a number");
  return value.As<Napi::Number>().DoubleValue();
}

int64_t Int(const Napi::Value& value, const char* what) {
  double d = Number(value, what);
  if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > 9007199254740991.0) {
    throw Napi::TypeError::New(value.Env(), std::string(what) + " must be an integer, got " + std::to_string(d));
  }
  return static_cast<int64_t>(d);
}

bool Bool(const Napi::Value& value, const char* what) {
  if (!value.IsBoolean()) throw Napi::TypeError::New(value.Env(), std::string(what) + " must be a boolean");
  return value.As<Napi::Boolean>().Value();
}

std::string String(const Napi::Value& value, const char* what) {
  if (!value.IsString()) throw Napi::TypeError::New(value.Env(), std::string(what) + " must be a string");
  return value.As<Napi::String>().Utf8Value();
}

std::vector<int64_t> IntList(const Napi::Value& value, const char* what) {
  if (!value.IsArray()) throw Napi::TypeError::New(value.Env(), std::string(what) + " must be an array of integers");
  auto array = value.As<Napi::Array>();
  std::vector<int64_t> out(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) out[i] = Int(array.Get(i), what);
  return out;
}

c10::optional<std::vector<int64_t>> OptionalIntList(const Napi::Value& value, const char* what) {
  if (value.IsUndefined() || value.IsNull()) return c10::nullopt;
  return IntList(value, what);
}


// JS numbers that are integers become integral Scalars (like Python ints), others doubles.
at::Scalar ScalarOf(const Napi::Value& value, const char* what) {
  if (value.IsBoolean()) return at::Scalar(value.As<Napi::Boolean>().Value());
  double d = Number(value, what);
  if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) <= 9007199254740991.0) {
    return at::Scalar(static_cast<int64_t>(d));
  }
  return at::Scalar(d);
}

// A Tensor, or a number/boolean wrapped the way PyTorch wraps Python scalars (weak type promotion).
at::Tensor TensorOrScalar(const Napi::Value& value, const at::Tensor& like, const char* what) {
  if (IsTensor(value)) return TensorOf(value, what);
  return at::native::wrapped_scalar_tensor(ScalarOf(value, what), like.device());
}

// dtype codes shared with src/engine/dtype.ts
const at::ScalarType kDtypes[] = {at::kFloat, at::kDouble, at::kLong,     at::kInt,
                                  at::kBool,  at::kHalf,   at::kBFloat16, at::kByte};
const char* const kDtypeNames[] = {"float32", "float64", "int64", "int32", "bool", "float16", "bfloat16", "uint8"};
constexpr int kDtypeCount = 8;

at::ScalarType DtypeOf(const Napi::Value& value) {
  int64_t code = Int(value, "dtype");
  if (code < 0 || code >= kDtypeCount) throw Napi::TypeError::New(value.Env(), "unknown dtype code " + std::to_string(code));
  return kDtypes[code];
}

c10::optional<at::ScalarType> OptionalDtype(const Napi::Value& value) {
  if (value.IsUndefined() || value.IsNull()) return c10::nullopt;
  return DtypeOf(value);
}

int DtypeCode(at::ScalarType type) {
  for (int i = 0; i < kDtypeCount; ++i) {
    if (kDtypes[i] == type) return i;
  }
  return -1;
}

at::Device DeviceOf(const Napi::Value& value) {
  if (value.IsUndefined() || value.IsNull()) return at::Device(at::kCPU);
  std::string name = String(value, "device");
  if (name != "cpu" && name.rfind("cuda", 0) != 0) {
    throw Napi::TypeError::New(value.Env(), "unknown device '" + name + "': use 'cpu', 'cuda' or 'cuda:N'");
  }
  return at::Device(name);  // throws c10::Error on a malformed string
}

at::TensorOptions Options(const Napi::Value& dtype, const Napi::Value& device) {
  auto options = at::TensorOptions().device(DeviceOf(device));
  if (!(dtype.IsUndefined() || dtype.IsNull())) options = options.dtype(DtypeOf(dtype));
  return options;
}

// ---------------------------------------------------------------------------------------------
// Error boundary
// ---------------------------------------------------------------------------------------------

using Fn = Napi::Value (*)(const Napi::CallbackInfo&);

template <Fn F>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& error) {
    throw Napi::Error::New(info.Env(), error.what_without_backtrace());
  } catch (const std::exception& error) {
    throw Napi::Error::New(info.Env(), error.what());
  } catch (...) {
    throw Napi::Error::New(info.Env(), "unknown native error in the tensor engine");
  }
}

#define ENV auto env = info.Env()
#define ARG(i) info[i]
#define T(i) TensorOf(info[i], "argument " #i)

// ---------------------------------------------------------------------------------------------
// Creation and conversion
// ---------------------------------------------------------------------------------------------

// fromBytes(bytes: TypedArray, dtype, shape, device?)
Napi::Value FromBytes(const Napi::CallbackInfo& info) {
  ENV;
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "data must be a typed array");
  auto typed = info[0].As<Napi::TypedArray>();
  auto type = DtypeOf(info[1]);
  auto shape = IntList(info[2], "shape");
  auto tensor = at::empty(shape, at::TensorOptions().dtype(type));
  size_t expected = static_cast<size_t>(tensor.numel()) * tensor.element_size();
  if (typed.ByteLength() != expected) {
    throw Napi::RangeError::New(env, "data has " + std::to_string(typed.ByteLength()) + " bytes but shape " +
                                         c10::str(c10::IntArrayRef(shape)) + " of " + kDtypeNames[DtypeCode(type)] +
                                         " needs " + std::to_string(expected));
  }
  auto* base = static_cast<uint8_t*>(typed.ArrayBuffer().Data()) + typed.ByteOffset();
  if (expected != 0) std::memcpy(tensor.data_ptr(), base, expected);
  auto device = DeviceOf(info[3]);
  if (!device.is_cpu()) tensor = tensor.to(device);
  return Wrap(env, tensor);
}

// toBytes(t) -> Buffer with the contiguous CPU data
Napi::Value ToBytes(const Napi::CallbackInfo& info) {
  ENV;
  auto tensor = T(0).detach().to(at::kCPU).contiguous();
  size_t bytes = static_cast<size_t>(tensor.numel()) * tensor.element_size();
  return Napi::Buffer<uint8_t>::Copy(env, static_cast<const uint8_t*>(tensor.data_ptr()), bytes);
}

Napi::Value Item(const Napi::CallbackInfo& info) {
  ENV;
  auto& t = T(0);
  if (t.numel() != 1) {
    throw Napi::Error::New(env, "item() needs a tensor with one element, got shape " + c10::str(t.sizes()));
  }
  auto scalar = t.item();
  if (scalar.isBoolean()) return Napi::Boolean::New(env, scalar.toBool());
  if (scalar.isIntegral(false)) return Napi::Number::New(env, static_cast<double>(scalar.toLong()));
  return Napi::Number::New(env, scalar.toDouble());
}

Napi::Value Zeros(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::zeros(IntList(info[0], "shape"), Options(info[1], info[2])));
}
Napi::Value Ones(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::ones(IntList(info[0], "shape"), Options(info[1], info[2])));
}
Napi::Value Full(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::full(IntList(info[0], "shape"), ScalarOf(info[1], "fill value"), Options(info[2], info[3])));
}
Napi::Value Empty(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::empty(IntList(info[0], "shape"), Options(info[1], info[2])));
}
Napi::Value Randn(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::randn(IntList(info[0], "shape"), Options(info[1], info[2])));
}
Napi::Value Rand(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::rand(IntList(info[0], "shape"), Options(info[1], info[2])));
}
// randint(low, high, shape, dtype?, device?)
Napi::Value Randint(const Napi::CallbackInfo& info) {
  auto options = Options(info[3], info[4]);
  if (info[3].IsUndefined() || info[3].IsNull()) options = options.dtype(at::kLong);
  return Wrap(info.Env(), at::randint(Int(info[0], "low"), Int(info[1], "high"), IntList(info[2], "shape"), options));
}
// arange(start, end, step, dtype?, device?)
Napi::Value Arange(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::arange(ScalarOf(info[0], "start"), ScalarOf(info[1], "end"), ScalarOf(info[2], "step"),
                                     Options(info[3], info[4])));
}
Napi::Value Linspace(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::linspace(ScalarOf(info[0], "start"), ScalarOf(info[1], "end"), Int(info[2], "steps"),
                                       Options(info[3], info[4])));
}
Napi::Value Eye(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::eye(Int(info[0], "n"), Options(info[1], info[2])));
}

// Metadata: [shape, dtypeCode, device, requiresGrad]
Napi::Value Shape(const Napi::CallbackInfo& info) {
  ENV;
  auto sizes = T(0).sizes();
  auto array = Napi::Array::New(env, sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) array.Set(static_cast<uint32_t>(i), static_cast<double>(sizes[i]));
  return array;
}
Napi::Value Dtype(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), DtypeCode(T(0).scalar_type())); }
Napi::Value Device(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), T(0).device().str()); }
Napi::Value RequiresGrad(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), T(0).requires_grad()); }
Napi::Value IsContiguous(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), T(0).is_contiguous()); }
Napi::Value IsDisposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), HolderOf(info[0], "argument 0") == nullptr);
}

// Frees the tensor reference, the Holder and the wrap's finalizer record now; disposing twice is a no-op.
Napi::Value Dispose(const Napi::CallbackInfo& info) {
  ENV;
  if (HolderOf(info[0], "argument 0") == nullptr) return env.Undefined();
  void* data = nullptr;
  NAPI_THROW_IF_FAILED(env, napi_remove_wrap(env, info[0], &data), Napi::Value());
  releaseHolder(env, data, nullptr);
  return env.Undefined();
}

// to(t, dtype?, device?, copy)
Napi::Value To(const Napi::CallbackInfo& info) {
  auto& t = T(0);
  auto dtype = OptionalDtype(info[1]);
  auto device = (info[2].IsUndefined() || info[2].IsNull()) ? t.device() : DeviceOf(info[2]);
  return Wrap(info.Env(), t.to(device, dtype.value_or(t.scalar_type()), false, info[3].ToBoolean().Value()));
}
Napi::Value Contiguous(const Napi::CallbackInfo& info) { return Wrap(info.Env(), T(0).contiguous()); }
Napi::Value Clone(const Napi::CallbackInfo& info) { return Wrap(info.Env(), T(0).clone()); }
Napi::Value Detach(const Napi::CallbackInfo& info) { return Wrap(info.Env(), T(0).detach()); }
Napi::Value Alias(const Napi::CallbackInfo& info) { return Wrap(info.Env(), T(0)); }

// ---------------------------------------------------------------------------------------------
// Elementwise math
// ---------------------------------------------------------------------------------------------

#define UNARY_OPS(X)                                                                                               \
  X(neg) X(exp) X(log) X(log1p) X(expm1) X(sqrt) X(rsqrt) X(abs) X(tanh) X(sigmoid) X(relu) X(silu) X(sin) X(cos) \
      X(floor) X(ceil) X(round) X(sign) X(erf) X(reciprocal) X(square) X(logical_not) X(isnan) X(isinf) X(log2)   \
          X(trunc)

#define DEFINE_UNARY(name) \
  Napi::Value U_##name(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::name(T(0))); }
UNARY_OPS(DEFINE_UNARY)
#undef DEFINE_UNARY

// gelu(t, approximate: 'none' | 'tanh')
Napi::Value Gelu(const Napi::CallbackInfo& info) {
  auto approximate = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : std::string("none");
  return Wrap(info.Env(), at::gelu(T(0), approximate));
}

#define BINARY_OPS(X)                                                                                               \
  X(add) X(sub) X(mul) X(div) X(maximum) X(minimum) X(eq) X(ne) X(lt) X(le) X(gt) X(ge) X(logical_and) X(logical_or) \
      X(logical_xor) X(remainder) X(atan2) X(floor_divide) X(fmod)

#define DEFINE_BINARY(name)                                            \
  Napi::Value B_##name(const Napi::CallbackInfo& info) {               \
    auto& a = T(0);                                                    \
    return Wrap(info.Env(), at::name(a, TensorOrScalar(info[1], a, "other"))); \
  }
BINARY_OPS(DEFINE_BINARY)
#undef DEFINE_BINARY

// pow(t, exponent: Tensor | number) — the Scalar overload keeps PyTorch's fast paths (x**2 → square)
Napi::Value Pow(const Napi::CallbackInfo& info) {
  auto& a = T(0);
  if (IsTensor(info[1])) return Wrap(info.Env(), at::pow(a, T(1)));
  return Wrap(info.Env(), at::pow(a, ScalarOf(info[1], "exponent")));
}

// clamp(t, min?, max?)
Napi::Value Clamp(const Napi::CallbackInfo& info) {
  auto& t = T(0);
  c10::optional<at::Scalar> lo, hi;
  if (!(info[1].IsUndefined() || info[1].IsNull())) lo = ScalarOf(info[1], "min");
  if (!(info[2].IsUndefined() || info[2].IsNull())) hi = ScalarOf(info[2], "max");
  if (!lo && !hi) throw Napi::TypeError::New(info.Env(), "clamp needs min, max or both");
  return Wrap(info.Env(), at::clamp(t, lo, hi));
}

// where(cond, a, b) with a/b Tensor or number
Napi::Value Where(const Napi::CallbackInfo& info) {
  auto& cond = T(0);
  at::Tensor like = IsTensor(info[1]) ? T(1) : (IsTensor(info[2]) ? T(2) : cond);
  return Wrap(info.Env(), at::where(cond, TensorOrScalar(info[1], like, "input"), TensorOrScalar(info[2], like, "other")));
}

Napi::Value MaskedFill(const Napi::CallbackInfo& info) {
  auto& t = T(0);
  auto& mask = T(1);
  if (IsTensor(info[2])) return Wrap(info.Env(), at::masked_fill(t, mask, T(2)));
  return Wrap(info.Env(), at::masked_fill(t, mask, ScalarOf(info[2], "value")));
}

// ---------------------------------------------------------------------------------------------
// Reductions
// ---------------------------------------------------------------------------------------------

// sum/mean(t, dims?, keepdim, dtype?)
Napi::Value Sum(const Napi::CallbackInfo& info) {
  auto dims = OptionalIntList(info[1], "dims");
  auto dtype = OptionalDtype(info[3]);
  if (!dims) return Wrap(info.Env(), at::sum(T(0), dtype));
  return Wrap(info.Env(), at::sum(T(0), *dims, info[2].ToBoolean().Value(), dtype));
}
Napi::Value Mean(const Napi::CallbackInfo& info) {
  auto dims = OptionalIntList(info[1], "dims");
  auto dtype = OptionalDtype(info[3]);
  if (!dims) return Wrap(info.Env(), at::mean(T(0), dtype));
  return Wrap(info.Env(), at::mean(T(0), *dims, info[2].ToBoolean().Value(), dtype));
}
Napi::Value Prod(const Napi::CallbackInfo& info) {
  if (info[1].IsUndefined() || info[1].IsNull()) return Wrap(info.Env(), at::prod(T(0)));
  return Wrap(info.Env(), at::prod(T(0), Int(info[1], "dim"), info[2].ToBoolean().Value()));
}
// amax/amin(t, dims, keepdim): dims [] means all
Napi::Value Amax(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::amax(T(0), IntList(info[1], "dims"), info[2].ToBoolean().Value()));
}
Napi::Value Amin(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::amin(T(0), IntList(info[1], "dims"), info[2].ToBoolean().Value()));
}
Napi::Value Logsumexp(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::logsumexp(T(0), IntList(info[1], "dims"), info[2].ToBoolean().Value()));
}
// var/std(t, dims?, correction, keepdim)
Napi::Value Var(const Napi::CallbackInfo& info) {
  auto dims = OptionalIntList(info[1], "dims");
  c10::OptionalIntArrayRef ref = dims ? c10::OptionalIntArrayRef(*dims) : c10::nullopt;
  return Wrap(info.Env(), at::var(T(0), ref, Int(info[2], "correction"), info[3].ToBoolean().Value()));
}
Napi::Value Std(const Napi::CallbackInfo& info) {
  auto dims = OptionalIntList(info[1], "dims");
  c10::OptionalIntArrayRef ref = dims ? c10::OptionalIntArrayRef(*dims) : c10::nullopt;
  return Wrap(info.Env(), at::std(T(0), ref, Int(info[2], "correction"), info[3].ToBoolean().Value()));
}
// maxDim/minDim(t, dim, keepdim) -> [values, indices]
Napi::Value MaxDim(const Napi::CallbackInfo& info) {
  auto result = at::max(T(0), Int(info[1], "dim"), info[2].ToBoolean().Value());
  return WrapList(info.Env(), {std::get<0>(result), std::get<1>(result)});
}
Napi::Value MinDim(const Napi::CallbackInfo& info) {
  auto result = at::min(T(0), Int(info[1], "dim"), info[2].ToBoolean().Value());
  return WrapList(info.Env(), {std::get<0>(result), std::get<1>(result)});
}
Napi::Value MaxAll(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::max(T(0))); }
Napi::Value MinAll(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::min(T(0))); }
// argmax/argmin(t, dim?, keepdim)
Napi::Value Argmax(const Napi::CallbackInfo& info) {
  c10::optional<int64_t> dim;
  if (!(info[1].IsUndefined() || info[1].IsNull())) dim = Int(info[1], "dim");
  return Wrap(info.Env(), at::argmax(T(0), dim, info[2].ToBoolean().Value()));
}
Napi::Value Argmin(const Napi::CallbackInfo& info) {
  c10::optional<int64_t> dim;
  if (!(info[1].IsUndefined() || info[1].IsNull())) dim = Int(info[1], "dim");
  return Wrap(info.Env(), at::argmin(T(0), dim, info[2].ToBoolean().Value()));
}
Napi::Value All(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::all(T(0))); }
Napi::Value Any(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::any(T(0))); }
// norm(t, p, dims?, keepdim)
Napi::Value Norm(const Napi::CallbackInfo& info) {
  auto dims = OptionalIntList(info[2], "dims");
  at::Scalar p = ScalarOf(info[1], "p");
  if (!dims) return Wrap(info.Env(), at::norm(T(0), p));
  return Wrap(info.Env(), at::norm(T(0), p, *dims, info[3].ToBoolean().Value()));
}
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::softmax(T(0), Int(info[1], "dim"), OptionalDtype(info[2])));
}
Napi::Value LogSoftmax(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::log_softmax(T(0), Int(info[1], "dim"), OptionalDtype(info[2])));
}
Napi::Value Cumsum(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::cumsum(T(0), Int(info[1], "dim"), OptionalDtype(info[2])));
}
// topk(t, k, dim, largest, sorted) -> [values, indices]
Napi::Value Topk(const Napi::CallbackInfo& info) {
  auto result = at::topk(T(0), Int(info[1], "k"), Int(info[2], "dim"), Bool(info[3], "largest"), Bool(info[4], "sorted"));
  return WrapList(info.Env(), {std::get<0>(result), std::get<1>(result)});
}
// sort(t, dim, descending) -> [values, indices]
Napi::Value Sort(const Napi::CallbackInfo& info) {
  auto result = at::sort(T(0), Int(info[1], "dim"), Bool(info[2], "descending"));
  return WrapList(info.Env(), {std::get<0>(result), std::get<1>(result)});
}
Napi::Value Argsort(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::argsort(T(0), Int(info[1], "dim"), Bool(info[2], "descending")));
}
// multinomial(probs, numSamples, replacement)
Napi::Value Multinomial(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::multinomial(T(0), Int(info[1], "numSamples"), Bool(info[2], "replacement")));
}

// ---------------------------------------------------------------------------------------------
// Linear algebra
// ---------------------------------------------------------------------------------------------

Napi::Value Matmul(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::matmul(T(0), T(1))); }
Napi::Value Bmm(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::bmm(T(0), T(1))); }
Napi::Value Mm(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::mm(T(0), T(1))); }
Napi::Value Outer(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::outer(T(0), T(1))); }

// ---------------------------------------------------------------------------------------------
// Shape and indexing
// ---------------------------------------------------------------------------------------------

Napi::Value Reshape(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::reshape(T(0), IntList(info[1], "shape"))); }
Napi::Value View(const Napi::CallbackInfo& info) { return Wrap(info.Env(), T(0).view(IntList(info[1], "shape"))); }
Napi::Value Permute(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::permute(T(0), IntList(info[1], "dims"))); }
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::transpose(T(0), Int(info[1], "dim0"), Int(info[2], "dim1")));
}
Napi::Value Squeeze(const Napi::CallbackInfo& info) {
  if (info[1].IsUndefined() || info[1].IsNull()) return Wrap(info.Env(), at::squeeze(T(0)));
  return Wrap(info.Env(), at::squeeze(T(0), Int(info[1], "dim")));
}
Napi::Value Unsqueeze(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::unsqueeze(T(0), Int(info[1], "dim"))); }
Napi::Value Flatten(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::flatten(T(0), Int(info[1], "startDim"), Int(info[2], "endDim")));
}
Napi::Value Expand(const Napi::CallbackInfo& info) { return Wrap(info.Env(), T(0).expand(IntList(info[1], "shape"))); }
Napi::Value BroadcastTo(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::broadcast_to(T(0), IntList(info[1], "shape")));
}
Napi::Value Repeat(const Napi::CallbackInfo& info) { return Wrap(info.Env(), T(0).repeat(IntList(info[1], "repeats"))); }
Napi::Value Flip(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::flip(T(0), IntList(info[1], "dims"))); }
Napi::Value Cat(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::cat(TensorList(info[0], "tensors"), Int(info[1], "dim"))); }
Napi::Value Stack(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::stack(TensorList(info[0], "tensors"), Int(info[1], "dim")));
}
// split(t, sizeOrSizes, dim)
Napi::Value Split(const Napi::CallbackInfo& info) {
  if (info[1].IsArray()) {
    return WrapList(info.Env(), at::split_with_sizes(T(0), IntList(info[1], "sizes"), Int(info[2], "dim")));
  }
  return WrapList(info.Env(), at::split(T(0), Int(info[1], "splitSize"), Int(info[2], "dim")));
}
Napi::Value Chunk(const Napi::CallbackInfo& info) {
  return WrapList(info.Env(), at::chunk(T(0), Int(info[1], "chunks"), Int(info[2], "dim")));
}
Napi::Value Unbind(const Napi::CallbackInfo& info) { return WrapList(info.Env(), at::unbind(T(0), Int(info[1], "dim"))); }
// slice(t, dim, start?, end?, step)
Napi::Value Slice(const Napi::CallbackInfo& info) {
  c10::optional<int64_t> start, end;
  if (!(info[2].IsUndefined() || info[2].IsNull())) start = Int(info[2], "start");
  if (!(info[3].IsUndefined() || info[3].IsNull())) end = Int(info[3], "end");
  return Wrap(info.Env(), at::slice(T(0), Int(info[1], "dim"), start, end, Int(info[4], "step")));
}
Napi::Value Narrow(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::narrow(T(0), Int(info[1], "dim"), Int(info[2], "start"), Int(info[3], "length")));
}
Napi::Value Select(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::select(T(0), Int(info[1], "dim"), Int(info[2], "index")));
}
Napi::Value IndexSelect(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::index_select(T(0), Int(info[1], "dim"), TensorOf(info[2], "index")));
}
// index(t, indices: (Tensor | null)[]) — advanced indexing like t[idx0, :, idx2]
Napi::Value Index(const Napi::CallbackInfo& info) {
  auto& t = T(0);
  if (!info[1].IsArray()) throw Napi::TypeError::New(info.Env(), "indices must be an array of Tensors or nulls");
  auto array = info[1].As<Napi::Array>();
  c10::List<c10::optional<at::Tensor>> indices;
  for (uint32_t i = 0; i < array.Length(); ++i) indices.push_back(OptionalTensor(array.Get(i), "index"));
  return Wrap(info.Env(), at::index(t, indices));
}
Napi::Value Gather(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::gather(T(0), Int(info[1], "dim"), TensorOf(info[2], "index")));
}
// scatter(t, dim, index, src: Tensor | number)
Napi::Value Scatter(const Napi::CallbackInfo& info) {
  auto& t = T(0);
  auto dim = Int(info[1], "dim");
  auto& index = TensorOf(info[2], "index");
  if (IsTensor(info[3])) return Wrap(info.Env(), at::scatter(t, dim, index, T(3)));
  return Wrap(info.Env(), at::scatter(t, dim, index, ScalarOf(info[3], "value")));
}
Napi::Value ScatterAdd(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::scatter_add(T(0), Int(info[1], "dim"), TensorOf(info[2], "index"), TensorOf(info[3], "src")));
}
Napi::Value Triu(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::triu(T(0), Int(info[1], "diagonal"))); }
Napi::Value Tril(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::tril(T(0), Int(info[1], "diagonal"))); }
Napi::Value OneHot(const Napi::CallbackInfo& info) { return Wrap(info.Env(), at::one_hot(T(0), Int(info[1], "numClasses"))); }

// ---------------------------------------------------------------------------------------------
// In-place (for initialisation and optimizers; they refuse leaf tensors that require grad unless
// called under no-grad, as PyTorch does)
// ---------------------------------------------------------------------------------------------

Napi::Value Copy_(const Napi::CallbackInfo& info) {
  T(0).copy_(T(1));
  return info[0];
}
Napi::Value Fill_(const Napi::CallbackInfo& info) {
  T(0).fill_(ScalarOf(info[1], "value"));
  return info[0];
}
Napi::Value Zero_(const Napi::CallbackInfo& info) {
  T(0).zero_();
  return info[0];
}
Napi::Value Normal_(const Napi::CallbackInfo& info) {
  T(0).normal_(Number(info[1], "mean"), Number(info[2], "std"));
  return info[0];
}
Napi::Value Uniform_(const Napi::CallbackInfo& info) {
  T(0).uniform_(Number(info[1], "from"), Number(info[2], "to"));
  return info[0];
}
// add_(t, other, alpha)
Napi::Value Add_(const Napi::CallbackInfo& info) {
  auto& t = T(0);
  t.add_(TensorOrScalar(info[1], t, "other"), ScalarOf(info[2], "alpha"));
  return info[0];
}
Napi::Value Mul_(const Napi::CallbackInfo& info) {
  auto& t = T(0);
  t.mul_(TensorOrScalar(info[1], t, "other"));
  return info[0];
}

// ---------------------------------------------------------------------------------------------
// Neural-network functions
// ---------------------------------------------------------------------------------------------

Napi::Value Linear(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::linear(T(0), TensorOf(info[1], "weight"), OptionalTensor(info[2], "bias")));
}
// embedding(weight, indices, paddingIdx)
Napi::Value Embedding(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::embedding(TensorOf(info[0], "weight"), TensorOf(info[1], "indices"), Int(info[2], "paddingIdx")));
}
// layerNorm(x, normalizedShape, weight?, bias?, eps)
Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::layer_norm(T(0), IntList(info[1], "normalizedShape"), OptionalTensor(info[2], "weight"),
                                         OptionalTensor(info[3], "bias"), Number(info[4], "eps")));
}
// conv2d(x, weight, bias?, stride, padding, dilation, groups)
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::conv2d(T(0), TensorOf(info[1], "weight"), OptionalTensor(info[2], "bias"),
                                     IntList(info[3], "stride"), IntList(info[4], "padding"), IntList(info[5], "dilation"),
                                     Int(info[6], "groups")));
}
// pad(x, pads, value): F.pad's constant mode; pads come in (last dim left, right, previous dim ...) pairs
Napi::Value Pad(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::constant_pad_nd(T(0), IntList(info[1], "pads"), ScalarOf(info[2], "value")));
}
Napi::Value Dropout(const Napi::CallbackInfo& info) {
  double p = Number(info[1], "p");
  if (!(p >= 0.0 && p <= 1.0)) throw Napi::RangeError::New(info.Env(), "dropout probability must be in [0, 1], got " + std::to_string(p));
  return Wrap(info.Env(), at::dropout(T(0), p, Bool(info[2], "train")));
}

int64_t Reduction(const Napi::Value& value) {
  std::string name = String(value, "reduction");
  if (name == "mean") return at::Reduction::Mean;
  if (name == "sum") return at::Reduction::Sum;
  if (name == "none") return at::Reduction::None;
  throw Napi::TypeError::New(value.Env(), "reduction must be 'mean', 'sum' or 'none', got '" + name + "'");
}

// crossEntropy(logits, target, weight?, reduction, ignoreIndex, labelSmoothing)
Napi::Value CrossEntropy(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::cross_entropy_loss(T(0), TensorOf(info[1], "target"), OptionalTensor(info[2], "weight"),
                                                 Reduction(info[3]), Int(info[4], "ignoreIndex"),
                                                 Number(info[5], "labelSmoothing")));
}
Napi::Value NllLoss(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::nll_loss(T(0), TensorOf(info[1], "target"), OptionalTensor(info[2], "weight"),
                                       Reduction(info[3]), Int(info[4], "ignoreIndex")));
}
Napi::Value MseLoss(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::mse_loss(T(0), TensorOf(info[1], "target"), Reduction(info[2])));
}
Napi::Value BceWithLogits(const Napi::CallbackInfo& info) {
  return Wrap(info.Env(), at::binary_cross_entropy_with_logits(T(0), TensorOf(info[1], "target"), c10::nullopt, c10::nullopt,
                                                               Reduction(info[2])));
}

// attention(q, k, v, causal, mask?, dropoutP, train): softmax(q kᵀ / √d + mask) v over the last two
// dimensions, composed from ATen ops in one native call (autograd flows through each op). The scale
// and an additive mask fold into one baddbmm, so the score matrix is written once, not three times.
at::Tensor AdditiveMask(const c10::optional<at::Tensor>& mask, bool causal, int64_t L, int64_t S,
                        const at::TensorOptions& options) {
  at::Tensor bias;
  if (causal) {
    bias = at::zeros({L, S}, options).masked_fill_(
        at::ones({L, S}, options.dtype(at::kBool)).triu_(S - L + 1), -std::numeric_limits<double>::infinity());
  }
  if (mask) {
    at::Tensor extra = mask->scalar_type() == at::kBool
                           ? at::zeros(mask->sizes(), options).masked_fill_(mask->logical_not(),
                                                                          -std::numeric_limits<double>::infinity())
                           : *mask;
    bias = bias.defined() ? bias + extra : extra;
  }
  return bias;
}

Napi::Value Attention(const Napi::CallbackInfo& info) {
  auto& q = TensorOf(info[0], "query");
  auto& k = TensorOf(info[1], "key");
  auto& v = TensorOf(info[2], "value");
  bool causal = Bool(info[3], "causal");
  auto mask = OptionalTensor(info[4], "mask");
  double dropoutP = Number(info[5], "dropoutP");
  bool train = Bool(info[6], "train");
  TORCH_CHECK(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2, "attention: query, key and value need at least 2 dimensions");
  TORCH_CHECK(q.size(-1) == k.size(-1), "attention: query and key head sizes differ: ", q.size(-1), " vs ", k.size(-1));
  TORCH_CHECK(k.size(-2) == v.size(-2), "attention: key and value lengths differ: ", k.size(-2), " vs ", v.size(-2));
  const int64_t L = q.size(-2), S = k.size(-2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  const auto bias = AdditiveMask(mask, causal, L, S, q.options());
  at::Tensor weights;
  auto batch = q.sizes().slice(0, q.dim() - 2);
  bool sameBatch = q.dim() == k.dim() && q.dim() == v.dim() && batch == k.sizes().slice(0, k.dim() - 2) &&
                   batch == v.sizes().slice(0, v.dim() - 2);
  if (sameBatch) {
    // [..., L, d] → [N, L, d]: one baddbmm computes scale · q kᵀ + bias.
    auto q3 = q.reshape({-1, L, q.size(-1)});
    auto k3 = k.reshape({-1, S, k.size(-1)});
    at::Tensor scores;
    if (bias.defined()) {
      at::Tensor b = bias;
      if (bias.dim() > 2) {
        std::vector<int64_t> full(q.sizes().begin(), q.sizes().end() - 2);
        full.push_back(L);
        full.push_back(S);
        b = bias.expand(full).reshape({-1, L, S});
      }
      scores = at::baddbmm(b, q3, k3.transpose(1, 2), 1.0, scale);
    } else {
      scores = at::bmm(q3, k3.transpose(1, 2)).mul_(scale);
    }
    weights = at::softmax(scores, -1);
    if (dropoutP > 0.0 && train) weights = at::dropout(weights, dropoutP, true);
    auto out = at::bmm(weights, v.reshape({-1, S, v.size(-1)}));
    std::vector<int64_t> shape(q.sizes().begin(), q.sizes().end() - 1);
    shape.push_back(v.size(-1));
    return Wrap(info.Env(), out.view(shape));
  }
  // Broadcasting batch dimensions: the general matmul path.
  auto scores = at::matmul(q, k.transpose(-2, -1)).mul_(scale);
  if (bias.defined()) scores = scores + bias;
  weights = at::softmax(scores, -1);
  if (dropoutP > 0.0 && train) weights = at::dropout(weights, dropoutP, true);
  return Wrap(info.Env(), at::matmul(weights, v));
}

// ---------------------------------------------------------------------------------------------
// Fused KV-cache decode step (sampling): one call per generated token instead of ~80
// ---------------------------------------------------------------------------------------------

// Runs a block of work at `threads` intra-op threads (0 = as set) and restores the setting after.
// At decode shapes ([16, 256] × [256, 1024]) a second thread costs more in wake-ups than it saves,
// and idle workers spin-wait on CPU the caller needs when cores are shared. The OpenMP and OpenBLAS
// counts are set directly: at::set_num_threads would also rebuild libtorch's pthreadpool (new
// threads) on every change. Either library may be absent (another BLAS, libtorch's native
// backend): its setting is then left alone.
template <typename F>
F LoadedSymbol(std::initializer_list<const char*> libraries, const char* name) {
  for (const char* library : libraries) {
    if (void* handle = dlopen(library, RTLD_LAZY | RTLD_NOLOAD)) {
      void* symbol = dlsym(handle, name);
      dlclose(handle);
      if (symbol != nullptr) return reinterpret_cast<F>(symbol);
    }
  }
  return reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name));
}

struct ThreadControls {
  using Set = void (*)(int);
  using Get = int (*)();
  Set ompSet = LoadedSymbol<Set>({"libgomp.so.1", "libomp.so", "libiomp5.so"}, "omp_set_num_threads");
  Get ompGet = LoadedSymbol<Get>({"libgomp.so.1", "libomp.so", "libiomp5.so"}, "omp_get_max_threads");
  Set blasSet = LoadedSymbol<Set>({"libopenblas.so.0", "libblas.so.3"}, "openblas_set_num_threads");
  Get blasGet = LoadedSymbol<Get>({"libopenblas.so.0", "libblas.so.3"}, "openblas_get_num_threads");
};

const ThreadControls& Controls() {
  static const ThreadControls controls;
  return controls;
}

struct IntraOpThreads {
  int omp = 0, blas = 0;  // the counts to restore; 0 = unchanged
  explicit IntraOpThreads(int64_t threads) {
    if (threads <= 0) return;
    const auto& c = Controls();
    const int n = static_cast<int>(threads);
    if (c.ompSet && c.ompGet && c.ompGet() != n) {
      omp = c.ompGet();
      c.ompSet(n);
    }
    if (c.blasSet && c.blasGet && c.blasGet() != n) {
      blas = c.blasGet();
      c.blasSet(n);
    }
  }
  ~IntraOpThreads() {
    const auto& c = Controls();
    if (omp > 0) c.ompSet(omp);
    if (blas > 0) c.blasSet(blas);
  }
};

// Small-batch linear layers for decoding: out = x · Wᵀ + b with M (the batch) small and W packed
// once into 32-column panels [ceil(N/32), K, 32] (zero-padded), so each panel is read contiguously
// and nothing is repacked per call (a BLAS call copies W into its own panel layout every time; at
// M = 16 that copy costs about as much as the multiply). An 8-row × 32-column register tile; GCC's
// target_clones picks the AVX-512, AVX2 or generic build when the addon loads.
typedef float Vec16 __attribute__((vector_size(64), aligned(4)));
typedef float Vec8 __attribute__((vector_size(32), aligned(4)));
typedef float Vec4 __attribute__((vector_size(16), aligned(4)));

// The sum of a Vec16's lanes as a tree (halves added, then quarters, ...): a few vector adds
// instead of a 16-long chain of scalar ones, which made attention scores cost as much as the GEMMs.
inline float LaneSum(const Vec16& v) {
  Vec8 lo, hi;
  std::memcpy(&lo, &v, 32);
  std::memcpy(&hi, reinterpret_cast<const char*>(&v) + 32, 32);
  const Vec8 s8 = lo + hi;
  Vec4 a, b;
  std::memcpy(&a, &s8, 16);
  std::memcpy(&b, reinterpret_cast<const char*>(&s8) + 16, 16);
  const Vec4 s4 = a + b;
  return (s4[0] + s4[2]) + (s4[1] + s4[3]);
}
constexpr int64_t kPanel = 32;
constexpr int64_t kTileRows = 8;

#define R1_TILE_ACC(r) Vec16 a##r##0 = b0, a##r##1 = b1;
#define R1_TILE_FMA(r)                \
  {                                   \
    const float s = x[(r) * ldx + k]; \
    a##r##0 += w0 * s;                \
    a##r##1 += w1 * s;                \
  }
#define R1_TILE_STORE(r)                             \
  std::memcpy(out + (r) * ldo, &a##r##0, 64);        \
  std::memcpy(out + (r) * ldo + 16, &a##r##1, 64);

// out[r, 0:32] = bias[0:32] + Σ_k x[r, k] · panel[k, 0:32] for the 8 rows r; x rows ldx apart.
__attribute__((target_clones("avx512f", "avx2,fma", "default"))) void PanelTile(
    const float* x, int64_t ldx, int64_t K, const float* panel, const float* bias, float* out, int64_t ldo) {
  Vec16 b0, b1;
  std::memcpy(&b0, bias, 64);
  std::memcpy(&b1, bias + 16, 64);
  R1_TILE_ACC(0) R1_TILE_ACC(1) R1_TILE_ACC(2) R1_TILE_ACC(3)
  R1_TILE_ACC(4) R1_TILE_ACC(5) R1_TILE_ACC(6) R1_TILE_ACC(7)
  for (int64_t k = 0; k < K; ++k) {
    Vec16 w0, w1;
    std::memcpy(&w0, panel + k * kPanel, 64);
    std::memcpy(&w1, panel + k * kPanel + 16, 64);
    R1_TILE_FMA(0) R1_TILE_FMA(1) R1_TILE_FMA(2) R1_TILE_FMA(3)
    R1_TILE_FMA(4) R1_TILE_FMA(5) R1_TILE_FMA(6) R1_TILE_FMA(7)
  }
  R1_TILE_STORE(0) R1_TILE_STORE(1) R1_TILE_STORE(2) R1_TILE_STORE(3)
  R1_TILE_STORE(4) R1_TILE_STORE(5) R1_TILE_STORE(6) R1_TILE_STORE(7)
}
#undef R1_TILE_ACC
#undef R1_TILE_FMA
#undef R1_TILE_STORE

// weight [N, K] → panels [ceil(N/32), K, 32], column c of panel j = row 32·j + c of the weight.
at::Tensor PackPanels(const at::Tensor& weight) {
  TORCH_CHECK(weight.dim() == 2 && weight.scalar_type() == at::kFloat && weight.device().is_cpu(),
              "packPanels: expected a 2-d float32 CPU weight [out, in], got ", weight.sizes(), " ",
              weight.scalar_type(), " on ", weight.device());
  const int64_t N = weight.size(0), K = weight.size(1), panels = (N + kPanel - 1) / kPanel;
  auto padded = at::zeros({panels * kPanel, K}, weight.options());
  padded.narrow(0, 0, N).copy_(weight.detach());
  return padded.view({panels, kPanel, K}).transpose(1, 2).contiguous();
}

// x [M, K] · Wᵀ + bias with W as PackPanels made it (N outputs); bias [N] or undefined.
at::Tensor PanelLinear(const at::Tensor& x, const at::Tensor& packed, int64_t N, const at::Tensor& bias) {
  const int64_t M = x.size(0), K = x.size(1), panels = packed.size(0);
  TORCH_CHECK(x.dim() == 2 && x.scalar_type() == at::kFloat && packed.dim() == 3 && packed.size(1) == K &&
                  packed.size(2) == kPanel && panels * kPanel >= N && packed.is_contiguous(),
              "decodeStep: input ", x.sizes(), " does not fit packed weight ", packed.sizes(), " with ", N,
              " outputs");
  TORCH_CHECK(!bias.defined() || (bias.numel() == N && bias.is_contiguous()), "decodeStep: bias of ",
              bias.numel(), " values for ", N, " outputs");
  auto xc = x.contiguous();
  const int64_t Mp = (M + kTileRows - 1) / kTileRows * kTileRows, Np = panels * kPanel;
  // Whole tiles only: rows are padded to a multiple of 8, columns to the panels' width.
  at::Tensor xs = xc;
  if (Mp != M) {
    xs = at::zeros({Mp, K}, x.options());
    xs.narrow(0, 0, M).copy_(xc);
  }
  auto out = at::empty({Mp, Np}, x.options());
  // The tile adds a bias to every column: the caller's when it spans the panels, else a padded copy.
  at::Tensor b = bias;
  if (!bias.defined() || N != Np || bias.scalar_type() != at::kFloat || !bias.device().is_cpu()) {
    b = at::zeros({Np}, x.options());
    if (bias.defined()) b.narrow(0, 0, N).copy_(bias);
  }
  const float* xp = xs.data_ptr<float>();
  const float* wp = packed.data_ptr<float>();
  const float* bp = b.data_ptr<float>();
  float* op = out.data_ptr<float>();
  at::parallel_for(0, panels, 1, [&](int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; ++j)
      for (int64_t m = 0; m < Mp; m += kTileRows)
        PanelTile(xp + m * K, K, K, wp + j * K * kPanel, bp + j * kPanel, op + m * Np + j * kPanel, Np);
  });
  return (Mp == M && Np == N) ? out : out.narrow(0, 0, M).narrow(1, 0, N).contiguous();
}

// Decode attention for one query per row, in three passes per layer: scores = scale · q kᵀ over the
// cache columns [0, S) (−inf where masked), libtorch's vectorised softmax, then y = p v. Written
// out rather than two bmm calls, which at one query row become B·H tiny BLAS calls each (every
// one packing its operands). q: [B, *, H, hd] rows qStride apart; caches [B, H, capacity, hd];
// allowed [B, capacity] or null; scores [B·H, S]; y [B, H·hd].
__attribute__((target_clones("avx512f", "avx2,fma", "default"))) void DecodeScores(
    const float* q, int64_t qStride, const float* keys, const uint8_t* allowed, int64_t B, int64_t H, int64_t hd,
    int64_t capacity, int64_t S, float scale, float* scores) {
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < H; ++h) {
      const float* qh = q + b * qStride + h * hd;
      const float* kh = keys + (b * H + h) * capacity * hd;
      float* out = scores + (b * H + h) * S;
      for (int64_t s = 0; s < S; ++s) {
        if (allowed != nullptr && !allowed[b * capacity + s]) {
          out[s] = -std::numeric_limits<float>::infinity();
          continue;
        }
        const float* ks = kh + s * hd;
        float dot = 0.f;
        int64_t i = 0;
        if (hd >= 16) {  // 16 lanes at a time, then the tail
          Vec16 acc = {}, a, c;
          for (; i + 16 <= hd; i += 16) {
            std::memcpy(&a, qh + i, 64);
            std::memcpy(&c, ks + i, 64);
            acc += a * c;
          }
          dot = LaneSum(acc);
        }
        for (; i < hd; ++i) dot += qh[i] * ks[i];
        out[s] = dot * scale;
      }
    }
  }
}

__attribute__((target_clones("avx512f", "avx2,fma", "default"))) void DecodeMix(
    const float* probs, const float* values, int64_t B, int64_t H, int64_t hd, int64_t capacity, int64_t S,
    float* y) {
  for (int64_t bh = 0; bh < B * H; ++bh) {
    const float* p = probs + bh * S;
    const float* vh = values + bh * capacity * hd;
    float* yh = y + bh * hd;  // [B, H, hd] = [B, H·hd]
    int64_t i = 0;
    if (hd == 32) {  // both 16-lane slices of the head in one pass over the cache (the demo's width)
      Vec16 acc0 = {}, acc1 = {}, v0, v1;
      for (int64_t s = 0; s < S; ++s) {
        std::memcpy(&v0, vh + s * hd, 64);
        std::memcpy(&v1, vh + s * hd + 16, 64);
        acc0 += v0 * p[s];
        acc1 += v1 * p[s];
      }
      std::memcpy(yh, &acc0, 64);
      std::memcpy(yh + 16, &acc1, 64);
      i = hd;
    }
    for (; i + 16 <= hd; i += 16) {  // one 16-lane slice of the head at a time, summed over s
      Vec16 acc = {}, v;
      for (int64_t s = 0; s < S; ++s) {
        std::memcpy(&v, vh + s * hd + i, 64);
        acc += v * p[s];
      }
      std::memcpy(yh + i, &acc, 64);
    }
    for (; i < hd; ++i) {
      float acc = 0.f;
      for (int64_t s = 0; s < S; ++s) acc += p[s] * vh[s * hd + i];
      yh[i] = acc;
    }
  }
}

// packPanels(weight [N, K]) -> [ceil(N/32), K, 32]: a linear weight in decodeStep's layout
Napi::Value PackPanelsOp(const Napi::CallbackInfo& info) {
  at::NoGradGuard noGrad;
  IntraOpThreads oneThread(1);  // a few MiB copied once: not worth waking (and then spinning) workers
  return Wrap(info.Env(), PackPanels(TensorOf(info[0], "weight")));
}

// Rotates the query and key of every row and head in place (qkv [B, 3, H, hd], contiguous): each
// pair (x_i, x_{i+hd/2}) by the row's angle i, the "rotate half" layout of model.ts's rotate().
void RotateQueriesKeys(float* qkv, const float* cos, const float* sin, int64_t B, int64_t H, int64_t hd) {
  const int64_t half = hd / 2;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t part = 0; part < 2; ++part)  // 0 = query, 1 = key
      for (int64_t h = 0; h < H; ++h) {
        float* x = qkv + ((b * 3 + part) * H + h) * hd;
        const float* c = cos + b * half;
        const float* s = sin + b * half;
        for (int64_t i = 0; i < half; ++i) {
          const float x1 = x[i], x2 = x[i + half];
          x[i] = x1 * c[i] - x2 * s[i];
          x[i + half] = x2 * c[i] + x1 * s[i];
        }
      }
}

// Local mixing at one new position (src/model/model.ts localMix, K = mixing width): out = a + Σ_{k=1..K}
// w[k−1] ⊙ history[K−k], each product rounded before it is added, in the op-by-op path's order (the
// build is ISO C++, so GCC contracts nothing into FMAs); then the history [B, K, C] (oldest first)
// drops its oldest row and takes a, the un-mixed input. a and out: [B, C] contiguous.
void LocalMixStep(const float* a, const float* w, float* history, float* out, int64_t B, int64_t K, int64_t C) {
  for (int64_t b = 0; b < B; ++b) {
    const float* ab = a + b * C;
    float* hb = history + b * K * C;
    float* ob = out + b * C;
    for (int64_t c = 0; c < C; ++c) ob[c] = ab[c];
    for (int64_t k = 1; k <= K; ++k) {
      const float* hk = hb + (K - k) * C;
      const float* wk = w + (k - 1) * C;
      for (int64_t c = 0; c < C; ++c) {
        const float product = hk[c] * wk[c];
        ob[c] = ob[c] + product;
      }
    }
    std::memmove(hb, hb + C, static_cast<size_t>((K - 1) * C) * sizeof(float));
    std::memcpy(hb + (K - 1) * C, ab, static_cast<size_t>(C) * sizeof(float));
  }
}

// decodeStep(ids, positions, tok, pos, layers, keys, values, t, keyMask, nHeads, eps, lnW, lnB, headT,
//            threads, ropeBase, mix, mixHistory) -> logits [B, V]; pos may be null when ropeBase > 0
// (rotary positions); mix and mixHistory empty (or absent) without local mixing.
// The pre-LN transformer of src/model/model.ts `step`, one token per row written into column t of
// the preallocated caches [B, H, capacity, hd]. `layers` holds 12 tensors per layer in the order
// ln1W, ln1B, qkv, qkvB, proj, projB, ln2W, ln2B, fc, fcB, out, outB, the four linear weights as
// packPanels made them; head is the tied output head packed the same way (tok.size(0) outputs).
// keyMask [B, 1, 1, capacity] (bool, true = may attend) or null. Local mixing (config.localMix = K):
// mix holds each layer's weights [K, C] and mixHistory each layer's last K normalised inputs [B, K, C],
// updated in place.
Napi::Value DecodeStep(const Napi::CallbackInfo& info) {
  auto& ids = TensorOf(info[0], "ids");
  auto& positions = TensorOf(info[1], "positions");
  auto& tok = TensorOf(info[2], "tok");
  auto pos = OptionalTensor(info[3], "pos");
  auto layers = TensorList(info[4], "layers");
  auto keys = TensorList(info[5], "keys");
  auto values = TensorList(info[6], "values");
  const int64_t t = Int(info[7], "t");
  auto mask = OptionalTensor(info[8], "keyMask");
  const int64_t H = Int(info[9], "nHeads");
  const double eps = Number(info[10], "eps");
  auto& lnW = TensorOf(info[11], "lnW");
  auto& lnB = TensorOf(info[12], "lnB");
  auto& head = TensorOf(info[13], "head");
  const int64_t threads = Int(info[14], "threads");
  const double ropeBase = info.Length() > 15 ? Number(info[15], "ropeBase") : 0.0;
  const auto mix = info.Length() > 16 ? TensorList(info[16], "mix") : std::vector<at::Tensor>{};
  auto mixHistory = info.Length() > 17 ? TensorList(info[17], "mixHistory") : std::vector<at::Tensor>{};

  const size_t L = keys.size();
  TORCH_CHECK(L > 0 && values.size() == L && layers.size() == 12 * L, "decodeStep: ", L, " key caches, ",
              values.size(), " value caches and ", layers.size(), " layer tensors (12 per layer expected)");
  TORCH_CHECK(ids.dim() == 1 && positions.dim() == 1 && ids.size(0) == positions.size(0),
              "decodeStep: ids and positions must be 1-d of the batch size");
  const int64_t B = ids.size(0), C = tok.size(1);
  TORCH_CHECK(H > 0 && C % H == 0, "decodeStep: width ", C, " is not divisible by ", H, " heads");
  const int64_t hd = C / H;
  for (size_t l = 0; l < L; ++l) {
    for (const auto& cache : {keys[l], values[l]}) {
      TORCH_CHECK(cache.dim() == 4 && cache.size(0) == B && cache.size(1) == H && cache.size(3) == hd,
                  "decodeStep: layer ", l, " cache has shape ", cache.sizes(), ", expected [", B, ", ", H,
                  ", capacity, ", hd, "]");
      TORCH_CHECK(cache.is_contiguous(), "decodeStep: layer ", l, " cache must be contiguous");
      TORCH_CHECK(t >= 0 && t < cache.size(2), "decodeStep: column ", t, " is outside the cache capacity ",
                  cache.size(2));
    }
  }
  const int64_t S = t + 1;
  for (size_t l = 0; l < L; ++l)
    TORCH_CHECK(keys[l].scalar_type() == at::kFloat && values[l].scalar_type() == at::kFloat,
                "decodeStep: caches must be float32");
  TORCH_CHECK((mix.empty() && mixHistory.empty()) || (mix.size() == L && mixHistory.size() == L), "decodeStep: ",
              mix.size(), " mixing weights and ", mixHistory.size(), " mixing histories for ", L,
              " layers (one of each per layer, or none without local mixing)");
  for (size_t l = 0; l < mix.size(); ++l) {
    const int64_t K = mix[l].dim() == 2 ? mix[l].size(0) : 0;
    TORCH_CHECK(K > 0 && mix[l].size(1) == C && mix[l].scalar_type() == at::kFloat && mix[l].is_contiguous() &&
                    mix[l].device().is_cpu(),
                "decodeStep: layer ", l, " mixing weight has shape ", mix[l].sizes(), " (", mix[l].scalar_type(),
                "), expected contiguous float32 [K, ", C, "] on the CPU");
    const auto& history = mixHistory[l];
    TORCH_CHECK(history.dim() == 3 && history.size(0) == B && history.size(1) == K && history.size(2) == C &&
                    history.scalar_type() == at::kFloat && history.is_contiguous() && history.device().is_cpu(),
                "decodeStep: layer ", l, " mixing history has shape ", history.sizes(), " (",
                history.scalar_type(), "), expected contiguous float32 [", B, ", ", K, ", ", C, "] on the CPU");
  }

  at::NoGradGuard noGrad;
  IntraOpThreads intraOp(threads);
  const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
  at::Tensor allowed;  // [B, capacity] uint8, 1 where a key may be attended to
  if (mask) {
    TORCH_CHECK(mask->dim() == 4 && mask->size(0) == B && mask->size(3) == keys[0].size(2),
                "decodeStep: keyMask has shape ", mask->sizes(), ", expected [", B, ", 1, 1, ", keys[0].size(2), "]");
    allowed = mask->reshape({B, mask->size(3)}).to(at::kByte).contiguous();
  }
  TORCH_CHECK(tok.scalar_type() == at::kFloat && tok.device().is_cpu(), "decodeStep: float32 CPU weights only, got ",
              tok.scalar_type(), " on ", tok.device());
  TORCH_CHECK(ropeBase > 0 || pos, "decodeStep: pass learned positions (pos) or a rotary base > 0");
  TORCH_CHECK(ropeBase <= 0 || hd % 2 == 0, "decodeStep: rotary positions need an even head width, got ", hd);
  at::Tensor x = at::index_select(tok, 0, ids);  // [B, C]
  if (ropeBase <= 0) x.add_(at::index_select(*pos, 0, positions));
  // Rotary tables for each row's position, in double precision as src/model/model.ts computes them.
  std::vector<float> ropeCos, ropeSin;
  if (ropeBase > 0) {
    const int64_t half = hd / 2;
    auto p = positions.to(at::kLong).contiguous();
    ropeCos.resize(B * half);
    ropeSin.resize(B * half);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < half; ++i) {
        const double angle =
            static_cast<double>(p.data_ptr<int64_t>()[b]) * std::pow(ropeBase, -2.0 * i / static_cast<double>(hd));
        ropeCos[b * half + i] = static_cast<float>(std::cos(angle));
        ropeSin[b * half + i] = static_cast<float>(std::sin(angle));
      }
  }
  const at::Tensor none;
  for (size_t l = 0; l < L; ++l) {
    const at::Tensor* p = &layers[12 * l];
    auto a = at::layer_norm(x, {C}, p[0], p[1], eps).contiguous();
    if (!mix.empty()) {
      auto mixed = at::empty({B, C}, x.options());
      LocalMixStep(a.data_ptr<float>(), mix[l].data_ptr<float>(), mixHistory[l].data_ptr<float>(),
                   mixed.data_ptr<float>(), B, mix[l].size(0), C);
      a = mixed;
    }
    auto qkv = PanelLinear(a, p[2], 3 * C, p[3]).view({B, 3, H, hd});
    if (ropeBase > 0) RotateQueriesKeys(qkv.data_ptr<float>(), ropeCos.data(), ropeSin.data(), B, H, hd);
    // Column t of both caches, row by row (two strided libtorch copies cost more than the rows).
    {
      const float* src = qkv.data_ptr<float>();
      float* kd = keys[l].data_ptr<float>();
      float* vd = values[l].data_ptr<float>();
      const int64_t capacity = keys[l].size(2);
      for (int64_t b = 0; b < B; ++b)
        for (int64_t h = 0; h < H; ++h) {
          const int64_t to = ((b * H + h) * capacity + t) * hd;
          std::memcpy(kd + to, src + ((b * 3 + 1) * H + h) * hd, static_cast<size_t>(hd) * sizeof(float));
          std::memcpy(vd + to, src + ((b * 3 + 2) * H + h) * hd, static_cast<size_t>(hd) * sizeof(float));
        }
    }
    auto scores = at::empty({B * H, S}, x.options());
    DecodeScores(qkv.data_ptr<float>(), 3 * C, keys[l].data_ptr<float>(),
                 allowed.defined() ? allowed.data_ptr<uint8_t>() : nullptr, B, H, hd, keys[l].size(2), S,
                 static_cast<float>(scale), scores.data_ptr<float>());
    auto probs = at::softmax(scores, -1);
    auto y = at::empty({B, C}, x.options());
    DecodeMix(probs.data_ptr<float>(), values[l].data_ptr<float>(), B, H, hd, keys[l].size(2), S,
              y.data_ptr<float>());
    x = PanelLinear(y, p[4], C, p[5]).add_(x);
    auto h = PanelLinear(at::layer_norm(x, {C}, p[6], p[7], eps), p[8], p[9].numel(), p[9]);
    x = PanelLinear(at::gelu(h), p[10], C, p[11]).add_(x);
  }
  return Wrap(info.Env(), PanelLinear(at::layer_norm(x, {C}, lnW, lnB, eps), head, tok.size(0), none));
}

// ---------------------------------------------------------------------------------------------
// Autograd
// ---------------------------------------------------------------------------------------------

Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
  T(0).requires_grad_(Bool(info[1], "requiresGrad"));
  return info[0];
}
// backward(t, gradient?, retainGraph, createGraph)
Napi::Value Backward(const Napi::CallbackInfo& info) {
  auto& t = T(0);
  auto gradient = OptionalTensor(info[1], "gradient");
  if (!gradient && t.numel() != 1) {
    throw Napi::Error::New(info.Env(), "backward() without a gradient needs a scalar output, got shape " + c10::str(t.sizes()) +
                                           "; pass a gradient of the same shape");
  }
  t.backward(gradient.value_or(at::Tensor()), info[2].ToBoolean().Value(), info[3].ToBoolean().Value());
  return info.Env().Undefined();
}
Napi::Value Grad(const Napi::CallbackInfo& info) {
  const auto& grad = T(0).grad();
  if (!grad.defined()) return info.Env().Null();
  return Wrap(info.Env(), grad);
}
Napi::Value SetGrad(const Napi::CallbackInfo& info) {
  auto& t = T(0);
  if (info[1].IsNull() || info[1].IsUndefined()) {
    t.mutable_grad() = at::Tensor();
  } else {
    auto& grad = T(1);
    TORCH_CHECK(grad.sizes() == t.sizes(), "assigned grad has shape ", grad.sizes(), " but the tensor has shape ", t.sizes());
    TORCH_CHECK(grad.scalar_type() == t.scalar_type(), "assigned grad has dtype ", grad.scalar_type(),
                " but the tensor has dtype ", t.scalar_type());
    TORCH_CHECK(grad.device() == t.device(), "assigned grad is on ", grad.device(), " but the tensor is on ", t.device());
    t.mutable_grad() = grad;
  }
  return info.Env().Undefined();
}
Napi::Value RetainGrad(const Napi::CallbackInfo& info) {
  T(0).retain_grad();
  return info[0];
}
Napi::Value IsLeaf(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), T(0).is_leaf()); }
Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  bool previous = at::GradMode::is_enabled();
  at::GradMode::set_enabled(Bool(info[0], "enabled"));
  return Napi::Boolean::New(info.Env(), previous);
}
Napi::Value IsGradEnabled(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled()); }

// ---------------------------------------------------------------------------------------------
// Optimizers (the update rules of torch.optim, single-tensor variants, in C++ so one call updates
// every parameter)
// ---------------------------------------------------------------------------------------------

void CheckSameLength(Napi::Env env, size_t a, size_t b, const char* what) {
  if (a != b) throw Napi::Error::New(env, std::string(what) + ": state and parameter lists differ in length");
}

// adamwStep(params, expAvg, expAvgSq, step, lr, beta1, beta2, eps, weightDecay)
Napi::Value AdamwStep(const Napi::CallbackInfo& info) {
  auto params = TensorList(info[0], "params");
  auto expAvg = TensorList(info[1], "expAvg");
  auto expAvgSq = TensorList(info[2], "expAvgSq");
  CheckSameLength(info.Env(), params.size(), expAvg.size(), "adamw");
  CheckSameLength(info.Env(), params.size(), expAvgSq.size(), "adamw");
  double step = Number(info[3], "step"), lr = Number(info[4], "lr"), beta1 = Number(info[5], "beta1"),
         beta2 = Number(info[6], "beta2"), eps = Number(info[7], "eps"), weightDecay = Number(info[8], "weightDecay");
  at::NoGradGuard noGrad;
  double bias1 = 1.0 - std::pow(beta1, step);
  double bias2Sqrt = std::sqrt(1.0 - std::pow(beta2, step));
  double stepSize = lr / bias1;
  for (size_t i = 0; i < params.size(); ++i) {
    auto& p = params[i];
    const auto& g = p.grad();
    if (!g.defined()) continue;
    if (weightDecay != 0.0) p.mul_(1.0 - lr * weightDecay);
    expAvg[i].lerp_(g, 1.0 - beta1);
    expAvgSq[i].mul_(beta2).addcmul_(g, g, 1.0 - beta2);
    auto denom = (expAvgSq[i].sqrt() / bias2Sqrt).add_(eps);
    p.addcdiv_(expAvg[i], denom, -stepSize);
  }
  return info.Env().Undefined();
}

// sgdStep(params, momentumBuffers, first, lr, momentum, dampening, weightDecay, nesterov)
Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  auto params = TensorList(info[0], "params");
  auto buffers = TensorList(info[1], "momentumBuffers");
  bool first = Bool(info[2], "first");
  double lr = Number(info[3], "lr"), momentum = Number(info[4], "momentum"), dampening = Number(info[5], "dampening"),
         weightDecay = Number(info[6], "weightDecay");
  bool nesterov = Bool(info[7], "nesterov");
  if (momentum != 0.0) CheckSameLength(info.Env(), params.size(), buffers.size(), "sgd");
  at::NoGradGuard noGrad;
  for (size_t i = 0; i < params.size(); ++i) {
    auto& p = params[i];
    at::Tensor d = p.grad();
    if (!d.defined()) continue;
    if (weightDecay != 0.0) d = d.add(p, weightDecay);
    if (momentum != 0.0) {
      auto& buf = buffers[i];
      if (first) {
        buf.copy_(d);
      } else {
        buf.mul_(momentum).add_(d, 1.0 - dampening);
      }
      d = nesterov ? d.add(buf, momentum) : buf;
    }
    p.add_(d, -lr);
  }
  return info.Env().Undefined();
}

// clipGradNorm(params, maxNorm, normType) -> total norm before clipping (torch.nn.utils.clip_grad_norm_)
Napi::Value ClipGradNorm(const Napi::CallbackInfo& info) {
  auto params = TensorList(info[0], "params");
  double maxNorm = Number(info[1], "maxNorm");
  double normType = Number(info[2], "normType");
  at::NoGradGuard noGrad;
  std::vector<at::Tensor> grads;
  for (auto& p : params) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  if (grads.empty()) return Napi::Number::New(info.Env(), 0.0);
  at::Tensor total;
  if (std::isinf(normType)) {
    std::vector<at::Tensor> maxes;
    for (auto& g : grads) maxes.push_back(g.detach().abs().max());
    total = maxes.size() == 1 ? maxes[0] : at::stack(maxes).max();
  } else {
    std::vector<at::Tensor> norms;
    for (auto& g : grads) norms.push_back(at::norm(g.detach(), normType));
    total = at::norm(at::stack(norms), normType);
  }
  auto coef = (maxNorm / (total + 1e-6)).clamp_max(1.0);
  for (auto& g : grads) g.detach().mul_(coef.to(g.device()));
  return Napi::Number::New(info.Env(), total.item<double>());
}

Napi::Value ZeroGrad(const Napi::CallbackInfo& info) {
  auto params = TensorList(info[0], "params");
  for (auto& p : params) p.mutable_grad() = at::Tensor();
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------------
// Runtime
// ---------------------------------------------------------------------------------------------

Napi::Value SetMemoryAccounting(const Napi::CallbackInfo& info) {
  gAccountMemory = Bool(info[0], "enabled");
  return info.Env().Undefined();
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  int64_t n = Int(info[0], "threads");
  if (n < 1) throw Napi::RangeError::New(info.Env(), "setNumThreads needs at least 1 thread, got " + std::to_string(n));
  at::set_num_threads(static_cast<int>(n));
  return info.Env().Undefined();
}
Napi::Value GetNumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), at::get_num_threads()); }
Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  double seed = Number(info[0], "seed");
  if (!(seed >= 0 && std::floor(seed) == seed && seed <= 9007199254740991.0)) {
    throw Napi::RangeError::New(info.Env(), "manualSeed needs a non-negative integer, got " + std::to_string(seed));
  }
  at::manual_seed(static_cast<uint64_t>(seed));
  return info.Env().Undefined();
}
Napi::Value CudaIsAvailable(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), at::hasCUDA()); }
Napi::Value CudaDeviceCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::hasCUDA() ? at::detail::getCUDAHooks().getNumGPUs() : 0);
}
Napi::Value Version(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto out = Napi::Object::New(env);
  out.Set("libtorch", TORCH_VERSION);
  out.Set("config", at::show_config());
  out.Set("parallel", at::get_parallel_info());
  out.Set("napi", NAPI_VERSION);
  return out;
}

#define EXPORT(name, fn) exports.Set(name, Napi::Function::New(env, Guarded<fn>, name))

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  EXPORT("fromBytes", FromBytes);
  EXPORT("toBytes", ToBytes);
  EXPORT("item", Item);
  EXPORT("zeros", Zeros);
  EXPORT("ones", Ones);
  EXPORT("full", Full);
  EXPORT("empty", Empty);
  EXPORT("randn", Randn);
  EXPORT("rand", Rand);
  EXPORT("randint", Randint);
  EXPORT("arange", Arange);
  EXPORT("linspace", Linspace);
  EXPORT("eye", Eye);
  EXPORT("shape", Shape);
  EXPORT("dtype", Dtype);
  EXPORT("device", Device);
  EXPORT("requiresGrad", RequiresGrad);
  EXPORT("isContiguous", IsContiguous);
  EXPORT("isDisposed", IsDisposed);
  EXPORT("dispose", Dispose);
  EXPORT("to", To);
  EXPORT("contiguous", Contiguous);
  EXPORT("clone", Clone);
  EXPORT("detach", Detach);
  EXPORT("alias", Alias);
#define EXPORT_UNARY(name) EXPORT(#name, U_##name);
  UNARY_OPS(EXPORT_UNARY)
#undef EXPORT_UNARY
#define EXPORT_BINARY(name) EXPORT(#name, B_##name);
  BINARY_OPS(EXPORT_BINARY)
#undef EXPORT_BINARY
  EXPORT("gelu", Gelu);
  EXPORT("pow", Pow);
  EXPORT("clamp", Clamp);
  EXPORT("where", Where);
  EXPORT("maskedFill", MaskedFill);
  EXPORT("sum", Sum);
  EXPORT("mean", Mean);
  EXPORT("prod", Prod);
  EXPORT("amax", Amax);
  EXPORT("amin", Amin);
  EXPORT("logsumexp", Logsumexp);
  EXPORT("var", Var);
  EXPORT("std", Std);
  EXPORT("maxDim", MaxDim);
  EXPORT("minDim", MinDim);
  EXPORT("maxAll", MaxAll);
  EXPORT("minAll", MinAll);
  EXPORT("argmax", Argmax);
  EXPORT("argmin", Argmin);
  EXPORT("all", All);
  EXPORT("any", Any);
  EXPORT("norm", Norm);
  EXPORT("softmax", Softmax);
  EXPORT("logSoftmax", LogSoftmax);
  EXPORT("cumsum", Cumsum);
  EXPORT("topk", Topk);
  EXPORT("sort", Sort);
  EXPORT("argsort", Argsort);
  EXPORT("multinomial", Multinomial);
  EXPORT("matmul", Matmul);
  EXPORT("bmm", Bmm);
  EXPORT("mm", Mm);
  EXPORT("outer", Outer);
  EXPORT("reshape", Reshape);
  EXPORT("view", View);
  EXPORT("permute", Permute);
  EXPORT("transpose", Transpose);
  EXPORT("squeeze", Squeeze);
  EXPORT("unsqueeze", Unsqueeze);
  EXPORT("flatten", Flatten);
  EXPORT("expand", Expand);
  EXPORT("broadcastTo", BroadcastTo);
  EXPORT("repeat", Repeat);
  EXPORT("flip", Flip);
  EXPORT("cat", Cat);
  EXPORT("stack", Stack);
  EXPORT("split", Split);
  EXPORT("chunk", Chunk);
  EXPORT("unbind", Unbind);
  EXPORT("slice", Slice);
  EXPORT("narrow", Narrow);
  EXPORT("select", Select);
  EXPORT("indexSelect", IndexSelect);
  EXPORT("index", Index);
  EXPORT("gather", Gather);
  EXPORT("scatter", Scatter);
  EXPORT("scatterAdd", ScatterAdd);
  EXPORT("triu", Triu);
  EXPORT("tril", Tril);
  EXPORT("oneHot", OneHot);
  EXPORT("copy_", Copy_);
  EXPORT("fill_", Fill_);
  EXPORT("zero_", Zero_);
  EXPORT("normal_", Normal_);
  EXPORT("uniform_", Uniform_);
  EXPORT("add_", Add_);
  EXPORT("mul_", Mul_);
  EXPORT("linear", Linear);
  EXPORT("embedding", Embedding);
  EXPORT("layerNorm", LayerNorm);
  EXPORT("conv2d", Conv2d);
  EXPORT("dropout", Dropout);
  EXPORT("pad", Pad);
  EXPORT("crossEntropy", CrossEntropy);
  EXPORT("nllLoss", NllLoss);
  EXPORT("mseLoss", MseLoss);
  EXPORT("bceWithLogits", BceWithLogits);
  EXPORT("attention", Attention);
  EXPORT("decodeStep", DecodeStep);
  EXPORT("packPanels", PackPanelsOp);
  EXPORT("setRequiresGrad", SetRequiresGrad);
  EXPORT("backward", Backward);
  EXPORT("grad", Grad);
  EXPORT("setGrad", SetGrad);
  EXPORT("retainGrad", RetainGrad);
  EXPORT("isLeaf", IsLeaf);
  EXPORT("setGradEnabled", SetGradEnabled);
  EXPORT("isGradEnabled", IsGradEnabled);
  EXPORT("adamwStep", AdamwStep);
  EXPORT("sgdStep", SgdStep);
  EXPORT("clipGradNorm", ClipGradNorm);
  EXPORT("zeroGrad", ZeroGrad);
  EXPORT("setMemoryAccounting", SetMemoryAccounting);
  EXPORT("setNumThreads", SetNumThreads);
  EXPORT("getNumThreads", GetNumThreads);
  EXPORT("manualSeed", ManualSeed);
  EXPORT("cudaIsAvailable", CudaIsAvailable);
  EXPORT("cudaDeviceCount", CudaDeviceCount);
  EXPORT("version", Version);
  return exports;
}

}  // namespace

NODE_API_MODULE(r1_engine, Init)
