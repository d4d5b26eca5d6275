"""Photo endpoints, with the paths the image360 clients call."""

from django.urls import URLPattern, path

from image360_server.photos import views

urlpatterns: list[URLPattern] = [
    path("upload-photo/", views.UploadPhotoView.as_view(), name="photo-upload"),
    path("user-photo/", views.OwnPhotoListView.as_view(), name="photo-own-list"),
    path("user-photo/<int:pk>/", views.OwnPhotoDetailView.as_view(), name="photo-own-detail"),
    path("<int:pk>/delete/", views.DeletePhotoView.as_view(), name="photo-delete"),
    path("photos/", views.PublicPhotoListView.as_view(), name="photo-public-list"),
    path("realestate/", views.RealEstateListView.as_view(), name="photo-realestate-list"),
    path("automotive/", views.AutomotiveListView.as_view(), name="photo-automotive-list"),
]
