// N-API binding over Debian's libx264.
//
// Why not @napi-rs/webcodecs: it emits High profile whatever the codec string says, and
// Chromium on the edge nodes only decodes the baseline/main profiles it offers (42e01f).
// Driving libx264 directly lets us force constrained baseline and answer PLI with an IDR
// on the very next frame.
//
// Threading: encode runs on the libuv pool (AsyncWorker) so the ~3-4 ms of x264 work
// never blocks the JS thread. Only one encode may be in flight; every other touch of the
// x264 handle (reconfig, close) happens on the JS thread while nothing is in flight, so
// the handle is never used from two threads at once and needs no mutex.

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <x264.h>

namespace {

Napi::Error MakeError(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

int32_t GetInt(Napi::Object opts, const char* key, int32_t fallback) {
  Napi::Value v = opts.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) {
    throw MakeError(opts.Env(), "ERR_X264_OPTIONS", std::string("option '") + key + "' must be a number");
  }
  return v.As<Napi::Number>().Int32Value();
}

double GetDouble(Napi::Object opts, const char* key, double fallback) {
  Napi::Value v = opts.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) {
    throw MakeError(opts.Env(), "ERR_X264_OPTIONS", std::string("option '") + key + "' must be a number");
  }
  return v.As<Napi::Number>().DoubleValue();
}

std::string GetString(Napi::Object opts, const char* key, const std::string& fallback) {
  Napi::Value v = opts.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsString()) {
    throw MakeError(opts.Env(), "ERR_X264_OPTIONS", std::string("option '") + key + "' must be a string");
  }
  return v.As<Napi::String>().Utf8Value();
}

// A VBV buffer of about two frames keeps any single frame (an IDR in particular) from
// bursting far above the average rate, which on the wire would show up as queueing delay.
int VbvBufferKbit(int kbps, double fps) {
  int size = static_cast<int>(std::lround(kbps * 2.0 / fps));
  return size < 1 ? 1 : size;
}

class EncodeWorker;

class X264Encoder : public Napi::ObjectWrap<X264Encoder> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "X264Encoder",
                       {
                           InstanceMethod<&X264Encoder::Encode>("encode"),
                           InstanceMethod<&X264Encoder::SetBitrate>("setBitrate"),
                           InstanceMethod<&X264Encoder::Close>("close"),
                           InstanceAccessor<&X264Encoder::GetBusy>("busy"),
                           InstanceAccessor<&X264Encoder::GetClosed>("closed"),
                       });
  }

  explicit X264Encoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<X264Encoder>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
      throw MakeError(env, "ERR_X264_OPTIONS", "X264Encoder expects an options object");
    }
    Napi::Object opts = info[0].As<Napi::Object>();

    width_ = GetInt(opts, "width", 0);
    height_ = GetInt(opts, "height", 0);
    fps_ = GetDouble(opts, "fps", 60);
    int kbps = GetInt(opts, "bitrateKbps", 4000);
    std::string preset = GetString(opts, "preset", "ultrafast");
    std::string tune = GetString(opts, "tune", "zerolatency");
    int keyint_max = GetInt(opts, "keyintMax", 600);
    int threads = GetInt(opts, "threads", 1);

    // I420 chroma is subsampled 2x2, so odd sizes cannot be represented.
    if (width_ <= 0 || height_ <= 0 || width_ % 2 != 0 || height_ % 2 != 0) {
      throw MakeError(env, "ERR_X264_OPTIONS", "width and height must be positive even integers");
    }
    if (!(fps_ > 0) || fps_ > 1000) throw MakeError(env, "ERR_X264_OPTIONS", "fps must be in (0, 1000]");
    if (kbps <= 0) throw MakeError(env, "ERR_X264_OPTIONS", "bitrateKbps must be positive");
    if (keyint_max <= 0) throw MakeError(env, "ERR_X264_OPTIONS", "keyintMax must be positive");
    if (threads < 0) throw MakeError(env, "ERR_X264_OPTIONS", "threads must be >= 0 (0 = x264 auto)");

    x264_param_t p;
    // An empty tune means x264's defaults (lookahead and all): the benchmark baseline.
    if (x264_param_default_preset(&p, preset.c_str(), tune.empty() ? nullptr : tune.c_str()) < 0) {
      throw MakeError(env, "ERR_X264_OPTIONS", "unknown x264 preset '" + preset + "' or tune '" + tune + "'");
    }
    p.i_log_level = X264_LOG_WARNING;
    p.i_width = width_;
    p.i_height = height_;
    p.i_csp = X264_CSP_I420;
    p.i_bitdepth = 8;
    // Fractional rates (29.97) survive as a rational.
    p.i_fps_num = static_cast<uint32_t>(std::lround(fps_ * 1000));
    p.i_fps_den = 1000;
    // We hand x264 a frame counter as pts, in a 1/fps timebase, and keep the caller's pts
    // ourselves: rate control then never depends on wall-clock jitter in caller timestamps,
    // and x264 never sees non-monotonic pts.
    p.b_vfr_input = 0;
    p.i_timebase_num = p.i_fps_den;
    p.i_timebase_den = p.i_fps_num;
    // Keyframes come from PLI/FIR (forced IDR), not from a short GOP that would spike the
    // bitrate every few seconds.
    p.i_keyint_max = keyint_max;
    p.b_repeat_headers = 1;  // SPS/PPS before every IDR: a receiver that lost them recovers at the IDR
    p.b_annexb = 1;          // start codes: what splitAnnexB and the RTP packetizer expect
    // The SPS states the level the stream needs (x264 picks it: 3.2 for 720p60), so a hardware
    // decoder sizes itself for the real macroblock rate. The SDP keeps the router's 42e01f:
    // level-asymmetry-allowed lets the send level differ, and profile is what must match.
    p.i_level_idc = -1;
    p.rc.i_rc_method = X264_RC_ABR;
    p.rc.i_bitrate = kbps;
    // VBV must be on at open, or x264_encoder_reconfig cannot change the rate later.
    p.rc.i_vbv_max_bitrate = kbps;
    p.rc.i_vbv_buffer_size = VbvBufferKbit(kbps, fps_);
    if (threads > 1) {
      // Slice threads split one frame across cores; frame threads would add a frame of delay each.
      p.i_threads = threads;
      p.b_sliced_threads = 1;
    } else {
      p.i_threads = threads;  // 1, or 0 = x264 auto
    }
    // Last, so that the profile wins over anything the preset or the lines above enabled.
    if (x264_param_apply_profile(&p, "baseline") < 0) {
      throw MakeError(env, "ERR_X264_OPTIONS", "x264 refused the baseline profile with these options");
    }

    enc_ = x264_encoder_open(&p);
    if (enc_ == nullptr) {
      throw MakeError(env, "ERR_X264_OPEN", "x264_encoder_open failed (see x264 messages on stderr)");
    }
    frame_bytes_ = static_cast<size_t>(width_) * height_ * 3 / 2;
    staging_.resize(frame_bytes_);
  }

  ~X264Encoder() override { Destroy(); }

 private:
  friend class EncodeWorker;

  void Destroy() {
    if (enc_ != nullptr) {
      x264_encoder_close(enc_);
      enc_ = nullptr;
    }
  }

  int Reconfigure(int kbps) {
    x264_param_t p;
    x264_encoder_parameters(enc_, &p);
    p.rc.i_bitrate = kbps;
    p.rc.i_vbv_max_bitrate = kbps;
    p.rc.i_vbv_buffer_size = VbvBufferKbit(kbps, fps_);
    return x264_encoder_reconfig(enc_, &p);
  }

  Napi::Value Encode(const Napi::CallbackInfo& info);

  Napi::Value SetBitrate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_) throw MakeError(env, "ERR_X264_CLOSED", "encoder is closed");
    if (info.Length() < 1 || !info[0].IsNumber()) {
      throw MakeError(env, "ERR_X264_OPTIONS", "setBitrate expects a number of kbit/s");
    }
    int kbps = info[0].As<Napi::Number>().Int32Value();
    if (kbps <= 0) throw MakeError(env, "ERR_X264_OPTIONS", "bitrate must be positive");
    if (in_flight_) {
      // The worker owns the handle right now; the next encode applies it on its own thread.
      pending_kbps_ = kbps;
      return env.Undefined();
    }
    pending_kbps_ = 0;
    if (Reconfigure(kbps) < 0) throw MakeError(env, "ERR_X264_RECONFIG", "x264_encoder_reconfig failed");
    return env.Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    closed_ = true;
    // An encode in flight still uses the handle; its completion closes it instead.
    if (!in_flight_) Destroy();
    return info.Env().Undefined();
  }

  Napi::Value GetBusy(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), in_flight_); }
  Napi::Value GetClosed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), closed_); }

  x264_t* enc_ = nullptr;
  int width_ = 0;
  int height_ = 0;
  double fps_ = 60;
  size_t frame_bytes_ = 0;
  // Touched only on the JS thread.
  bool in_flight_ = false;
  bool closed_ = false;
  int pending_kbps_ = 0;
  int64_t next_pts_ = 0;
  std::map<int64_t, double> caller_pts_;
  // The frame is copied here before the worker starts (~0.1 ms at 720p) so the caller may
  // reuse or overwrite its buffer at once; a zero-copy view would tear silently instead.
  std::vector<uint8_t> staging_;
};

class EncodeWorker : public Napi::AsyncWorker {
 public:
  EncodeWorker(Napi::Env env, X264Encoder* encoder, Napi::Object self, int64_t pts, bool force_idr,
               int pending_kbps)
      : Napi::AsyncWorker(env, "x264:encode"),
        deferred_(Napi::Promise::Deferred::New(env)),
        encoder_(encoder),
        pts_(pts),
        force_idr_(force_idr),
        pending_kbps_(pending_kbps) {
    // Keeps the JS wrapper (and with it the x264 handle) alive until the worker finishes.
    self_ = Napi::Persistent(self);
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    if (pending_kbps_ > 0 && encoder_->Reconfigure(pending_kbps_) < 0) {
      SetError("x264_encoder_reconfig failed");
      return;
    }
    const int w = encoder_->width_;
    const int h = encoder_->height_;
    uint8_t* base = encoder_->staging_.data();

    x264_picture_t pic;
    x264_picture_init(&pic);
    pic.img.i_csp = X264_CSP_I420;
    pic.img.i_plane = 3;
    pic.img.plane[0] = base;
    pic.img.plane[1] = base + static_cast<size_t>(w) * h;
    pic.img.plane[2] = pic.img.plane[1] + static_cast<size_t>(w / 2) * (h / 2);
    pic.img.i_stride[0] = w;
    pic.img.i_stride[1] = w / 2;
    pic.img.i_stride[2] = w / 2;
    pic.i_pts = pts_;
    pic.i_type = force_idr_ ? X264_TYPE_IDR : X264_TYPE_AUTO;

    x264_nal_t* nals = nullptr;
    int nal_count = 0;
    x264_picture_t out;
    int size = x264_encoder_encode(encoder_->enc_, &nals, &nal_count, &pic, &out);
    if (size < 0) {
      SetError("x264_encoder_encode failed");
      return;
    }
    if (size == 0 || nal_count == 0) return;  // x264 buffered the frame (lookahead/frame threads)
    // With b_annexb the NAL payloads of one call are contiguous, start codes included.
    data_.assign(nals[0].p_payload, nals[0].p_payload + size);
    keyframe_ = out.b_keyframe != 0;
    out_pts_ = out.i_pts;
  }

  void OnOK() override {
    Napi::Env env = Env();
    Finish();
    if (data_.empty()) {
      deferred_.Resolve(env.Null());
      return;
    }
    Napi::Object result = Napi::Object::New(env);
    result.Set("data", Napi::Buffer<uint8_t>::Copy(env, data_.data(), data_.size()));
    result.Set("keyframe", Napi::Boolean::New(env, keyframe_));
    double caller_pts = static_cast<double>(out_pts_);
    auto& map = encoder_->caller_pts_;
    auto it = map.find(out_pts_);
    if (it != map.end()) caller_pts = it->second;
    // Everything up to the frame just emitted has left x264; drop it so the map stays small.
    map.erase(map.begin(), map.upper_bound(out_pts_));
    result.Set("pts", Napi::Number::New(env, caller_pts));
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& e) override {
    Napi::Env env = Env();
    Finish();
    deferred_.Reject(MakeError(env, "ERR_X264_ENCODE", e.Message()).Value());
  }

 private:
  void Finish() {
    encoder_->in_flight_ = false;
    if (encoder_->closed_) encoder_->Destroy();
    self_.Reset();
  }

  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference self_;
  X264Encoder* encoder_;
  int64_t pts_;
  bool force_idr_;
  int pending_kbps_;
  std::vector<uint8_t> data_;
  bool keyframe_ = false;
  int64_t out_pts_ = 0;
};

Napi::Value X264Encoder::Encode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_ || enc_ == nullptr) throw MakeError(env, "ERR_X264_CLOSED", "encoder is closed");
  if (in_flight_) {
    throw MakeError(env, "ERR_X264_BUSY",
                    "an encode is already in flight: drop this frame (frames must never queue)");
  }
  if (info.Length() < 1 || !info[0].IsBuffer()) {
    throw MakeError(env, "ERR_X264_FRAME", "encode expects an I420 Buffer");
  }
  Napi::Buffer<uint8_t> frame = info[0].As<Napi::Buffer<uint8_t>>();
  if (frame.Length() != frame_bytes_) {
    throw MakeError(env, "ERR_X264_FRAME",
                    "I420 frame must be " + std::to_string(frame_bytes_) + " bytes for " + std::to_string(width_) +
                        "x" + std::to_string(height_) + ", got " + std::to_string(frame.Length()));
  }
  double caller_pts = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 0;
  bool force_idr = info.Length() > 2 && info[2].ToBoolean().Value();

  std::memcpy(staging_.data(), frame.Data(), frame_bytes_);
  int64_t pts = next_pts_++;
  caller_pts_[pts] = caller_pts;

  auto* worker = new EncodeWorker(env, this, info.This().As<Napi::Object>(), pts, force_idr, pending_kbps_);
  pending_kbps_ = 0;
  in_flight_ = true;
  Napi::Promise promise = worker->Promise();
  worker->Queue();  // the worker deletes itself after OnOK/OnError
  return promise;
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("X264Encoder", X264Encoder::Init(env));
  exports.Set("x264Build", Napi::Number::New(env, X264_BUILD));
  return exports;
}

}  // namespace

NODE_API_MODULE(x264_encoder, InitModule)
